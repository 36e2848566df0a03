; EXPECT: counterexample check=ub
; A function with a `returned` argument that returns something else has UB.
define i8 @src(i8 %x) {
  %r = add i8 %x, 1
  ret i8 %r
}
define i8 @tgt(i8 returned %x) {
  %r = add i8 %x, 1
  ret i8 %r
}
