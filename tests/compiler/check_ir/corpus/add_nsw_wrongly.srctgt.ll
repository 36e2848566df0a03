; EXPECT: counterexample check=poison
; Adding nsw the reference does not have makes overflowing sums poison.
define i8 @src(i8 %x, i8 %y) {
  %r = add i8 %x, %y
  ret i8 %r
}
define i8 @tgt(i8 %x, i8 %y) {
  %r = add nsw i8 %x, %y
  ret i8 %r
}
