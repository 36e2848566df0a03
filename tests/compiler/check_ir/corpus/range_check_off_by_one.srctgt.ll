; EXPECT: counterexample check=value input0=1000000007
; A bug at one input in 2^64: a translated bounds check uses uge for ugt.
; Random and boundary testing do not hit x = 1000000007; the proof does.
define i1 @src(i64 %x) {
  %big = icmp ugt i64 %x, 1000000007
  ret i1 %big
}
define i1 @tgt(i64 %x) {
  %big = icmp uge i64 %x, 1000000007
  ret i1 %big
}
