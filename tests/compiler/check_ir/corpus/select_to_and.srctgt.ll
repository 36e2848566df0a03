; EXPECT: counterexample check=poison
; The classic: select %a, %b, false blocks poison from %b when %a is false; and does not.
define i1 @src(i1 %a, i1 %b) {
  %r = select i1 %a, i1 %b, i1 false
  ret i1 %r
}
define i1 @tgt(i1 %a, i1 %b) {
  %r = and i1 %a, %b
  ret i1 %r
}
