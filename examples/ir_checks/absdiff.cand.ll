; A model's translation: wrapping arithmetic and a select, more defined than the reference.
define i32 @absdiff(i32 %a, i32 %b) {
entry:
  %d = sub i32 %a, %b
  %neg = icmp slt i32 %d, 0
  %m = sub i32 0, %d
  %r = select i1 %neg, i32 %m, i32 %d
  ret i32 %r
}
