; EXPECT: counterexample check=poison
; The gap between the intervals of !range: umin(x & 7, 20) = 4 is poison.
define i8 @src(i8 %x) {
  %a = and i8 %x, 7
  %y = call i8 @llvm.umin.i8(i8 %a, i8 20)
  ret i8 %y
}
define i8 @tgt(i8 %x) {
  %a = and i8 %x, 7
  %y = call i8 @llvm.umin.i8(i8 %a, i8 20), !range !0
  ret i8 %y
}
declare i8 @llvm.umin.i8(i8, i8)
!0 = !{i8 0, i8 4, i8 5, i8 8}
