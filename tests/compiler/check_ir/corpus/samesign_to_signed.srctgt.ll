; EXPECT: refines
; samesign ult equals slt when the signs agree (and is poison otherwise).
define i1 @src(i32 %a, i32 %b) {
  %r = icmp samesign ult i32 %a, %b
  ret i1 %r
}
define i1 @tgt(i32 %a, i32 %b) {
  %r = icmp slt i32 %a, %b
  ret i1 %r
}
