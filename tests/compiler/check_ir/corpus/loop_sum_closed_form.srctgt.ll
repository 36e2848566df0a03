; EXPECT: equivalent bound=8
; A counted loop (at most 3 iterations) against its closed form n*(n-1)/2
; (noundef: otherwise the loop branches on poison, UB, where the formula is poison).
define i8 @src(i8 noundef %n0) {
entry:
  %n = and i8 %n0, 3
  br label %head
head:
  %i = phi i8 [ 0, %entry ], [ %i1, %body ]
  %s = phi i8 [ 0, %entry ], [ %s1, %body ]
  %more = icmp ult i8 %i, %n
  br i1 %more, label %body, label %exit
body:
  %s1 = add i8 %s, %i
  %i1 = add i8 %i, 1
  br label %head
exit:
  ret i8 %s
}
define i8 @tgt(i8 noundef %n0) {
  %n = and i8 %n0, 3
  %m = add i8 %n, -1
  %p = mul i8 %n, %m
  %r = lshr i8 %p, 1
  ret i8 %r
}
