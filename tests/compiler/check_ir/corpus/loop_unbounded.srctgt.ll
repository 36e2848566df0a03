; EXPECT: unknown bound=4 reason=loop bound
; ARGS: unroll=4
; The loop runs up to 255 times: beyond the unroll bound the proof cannot speak.
define i8 @src(i8 %n) {
entry:
  br label %head
head:
  %i = phi i8 [ 0, %entry ], [ %i1, %body ]
  %more = icmp ult i8 %i, %n
  br i1 %more, label %body, label %exit
body:
  %i1 = add i8 %i, 1
  br label %head
exit:
  ret i8 %i
}
define i8 @tgt(i8 %n) {
  ret i8 %n
}
