; EXPECT: counterexample check=value
; A translation that widens a signed char with zext instead of sext.
define i32 @src(i8 %c) {
  %r = sext i8 %c to i32
  ret i32 %r
}
define i32 @tgt(i8 %c) {
  %r = zext i8 %c to i32
  ret i32 %r
}
