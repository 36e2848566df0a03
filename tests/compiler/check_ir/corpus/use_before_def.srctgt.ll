; EXPECT: invalid-ir
; Parses, but fails the verifier: %r is used before it is defined.
define i32 @src(i32 %x) {
  %s = add i32 %r, 1
  %r = add i32 %x, 1
  ret i32 %s
}
define i32 @tgt(i32 %x) {
  ret i32 %x
}
