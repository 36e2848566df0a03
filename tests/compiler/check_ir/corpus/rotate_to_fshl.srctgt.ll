; EXPECT: equivalent
; A rotate written with shifts, recognised as the funnel-shift intrinsic.
define i16 @src(i16 %x) {
  %l = shl i16 %x, 3
  %r = lshr i16 %x, 13
  %o = or i16 %l, %r
  ret i16 %o
}
define i16 @tgt(i16 %x) {
  %o = call i16 @llvm.fshl.i16(i16 %x, i16 %x, i16 3)
  ret i16 %o
}
declare i16 @llvm.fshl.i16(i16, i16, i16)
