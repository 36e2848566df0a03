; EXPECT: unknown reason=outside the SMT subset
; Memory is outside the subset: tested natively only, never proved.
define i32 @src(i32 %x) {
  %p = alloca i32
  store i32 %x, ptr %p
  %v = load i32, ptr %p
  %r = add i32 %v, 1
  ret i32 %r
}
define i32 @tgt(i32 %x) {
  %r = add i32 %x, 1
  ret i32 %r
}
