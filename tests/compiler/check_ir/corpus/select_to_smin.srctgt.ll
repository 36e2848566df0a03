; EXPECT: equivalent
; The min idiom recognised as the smin intrinsic.
define i64 @src(i64 %a, i64 %b) {
  %lt = icmp slt i64 %a, %b
  %r = select i1 %lt, i64 %a, i64 %b
  ret i64 %r
}
define i64 @tgt(i64 %a, i64 %b) {
  %r = call i64 @llvm.smin.i64(i64 %a, i64 %b)
  ret i64 %r
}
declare i64 @llvm.smin.i64(i64, i64)
