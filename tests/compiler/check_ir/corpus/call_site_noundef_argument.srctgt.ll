; EXPECT: counterexample check=ub
; noundef on a call-site argument: passing poison is UB.
define i8 @src(i8 %x) {
  %r = call i8 @llvm.umin.i8(i8 %x, i8 100)
  ret i8 %r
}
define i8 @tgt(i8 %x) {
  %r = call i8 @llvm.umin.i8(i8 noundef %x, i8 100)
  ret i8 %r
}
declare i8 @llvm.umin.i8(i8, i8)
