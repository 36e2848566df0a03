; EXPECT: counterexample check=ub
; Marking the default of a switch unreachable assumes inputs the reference handles.
define i8 @src(i8 %x) {
entry:
  switch i8 %x, label %other [
    i8 0, label %zero
  ]
zero:
  ret i8 1
other:
  ret i8 2
}
define i8 @tgt(i8 %x) {
entry:
  switch i8 %x, label %other [
    i8 0, label %zero
  ]
zero:
  ret i8 1
other:
  unreachable
}
