; EXPECT: counterexample check=poison
; range on a call-site argument: an argument outside [0, 10) is poison.
define i8 @src(i8 %x) {
  %r = call i8 @llvm.umin.i8(i8 %x, i8 100)
  ret i8 %r
}
define i8 @tgt(i8 %x) {
  %r = call i8 @llvm.umin.i8(i8 range(i8 0, 10) %x, i8 100)
  ret i8 %r
}
declare i8 @llvm.umin.i8(i8, i8)
