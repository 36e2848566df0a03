; EXPECT: unknown reason=outside the SMT subset (metadata !noundef on call)
; Metadata with a meaning the checker does not model is never ignored.
define i8 @src(i8 %x) {
  %r = call i8 @llvm.umin.i8(i8 %x, i8 100)
  ret i8 %r
}
define i8 @tgt(i8 %x) {
  %r = call i8 @llvm.umin.i8(i8 %x, i8 100), !noundef !0
  ret i8 %r
}
declare i8 @llvm.umin.i8(i8, i8)
!0 = !{}
