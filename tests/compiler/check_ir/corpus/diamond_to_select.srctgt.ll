; EXPECT: equivalent
; If-conversion of a diamond into a select (x noundef: a poison branch condition would be UB).
define i16 @src(i16 noundef %x, i16 %y) {
entry:
  %neg = icmp slt i16 %x, 0
  br i1 %neg, label %then, label %else
then:
  %a = sub i16 0, %x
  br label %join
else:
  %b = add i16 %x, %y
  br label %join
join:
  %r = phi i16 [ %a, %then ], [ %b, %else ]
  ret i16 %r
}
define i16 @tgt(i16 noundef %x, i16 %y) {
  %neg = icmp slt i16 %x, 0
  %a = sub i16 0, %x
  %b = add i16 %x, %y
  %r = select i1 %neg, i16 %a, i16 %b
  ret i16 %r
}
