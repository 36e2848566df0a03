; EXPECT: equivalent
; !range lists several intervals: [0, 8) and [30, 35) hold umin(x & 7, 20),
; so the metadata adds no poison here. The reference's own !range is
; !1 in the module but !0 when its function is printed alone: the lifter must
; read the module's numbering.
define i8 @src(i8 %x) {
  %a = and i8 %x, 7
  %y = call i8 @llvm.umin.i8(i8 %a, i8 20), !range !1
  ret i8 %y
}
define i8 @tgt(i8 %x) {
  %a = and i8 %x, 7
  %y = call i8 @llvm.umin.i8(i8 %a, i8 20), !range !0
  ret i8 %y
}
declare i8 @llvm.umin.i8(i8, i8)
!0 = !{i8 0, i8 8, i8 30, i8 35}
!1 = !{i8 0, i8 8}
