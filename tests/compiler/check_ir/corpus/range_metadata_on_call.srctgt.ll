; EXPECT: counterexample check=poison
; !range on a call: a result outside [0, 10) is poison (LangRef).
define i8 @src(i8 %x) {
  %y = call i8 @llvm.umin.i8(i8 %x, i8 200)
  ret i8 %y
}
define i8 @tgt(i8 %x) {
  %y = call i8 @llvm.umin.i8(i8 %x, i8 200), !range !0
  ret i8 %y
}
declare i8 @llvm.umin.i8(i8, i8)
!0 = !{i8 0, i8 10}
