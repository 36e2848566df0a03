; EXPECT: invalid-ir
; Model-written IR that does not parse: a missing type on the add.
define i32 @src(i32 %x) {
  %r = add %x, 1
  ret i32 %r
}
define i32 @tgt(i32 %x) {
  ret i32 %x
}
