; EXPECT: refines
; Without noundef, the reference branches on %x (UB when poison) while the
; select version merely returns poison: the candidate is more defined.
define i16 @src(i16 %x, i16 %y) {
entry:
  %neg = icmp slt i16 %x, 0
  br i1 %neg, label %then, label %else
then:
  br label %join
else:
  br label %join
join:
  %r = phi i16 [ %y, %then ], [ %x, %else ]
  ret i16 %r
}
define i16 @tgt(i16 %x, i16 %y) {
  %neg = icmp slt i16 %x, 0
  %r = select i1 %neg, i16 %y, i16 %x
  ret i16 %r
}
