; EXPECT: counterexample check=value
; A quoted result name may hold " = " and words that look like a predicate or
; flags: the predicate is the one after the name (sgt), not in it (ult).
define i1 @src(i8 %a, i8 %b) {
  %c = icmp ult i8 %a, %b
  ret i1 %c
}
define i1 @tgt(i8 %a, i8 %b) {
  %"c = icmp ult i8" = icmp sgt i8 %a, %b
  ret i1 %"c = icmp ult i8"
}
