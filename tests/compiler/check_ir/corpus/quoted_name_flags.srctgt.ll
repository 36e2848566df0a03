; EXPECT: counterexample check=poison
; The nsw after a quoted name holding "= add i8" is the instruction's flag.
define i8 @src(i8 %x) {
  %r = add i8 %x, 1
  ret i8 %r
}
define i8 @tgt(i8 %x) {
  %"r = add i8" = add nsw i8 %x, 1
  ret i8 %"r = add i8"
}
