; EXPECT: equivalent
; Names holding "[", ",", "(", "@", "label", "range(...)" and an escaped quote
; around a switch and an intrinsic call: nothing in a name is read as syntax.
define i8 @src(i8 %s, i8 %y) {
entry:
  %m = call i8 @llvm.umin.i8(i8 %y, i8 9)
  switch i8 %s, label %d [ i8 5, label %five ]
five:
  ret i8 %m
d:
  ret i8 0
}
define i8 @tgt(i8 %"s [ i8 7, label", i8 %"y, i8 noundef range(i8 0, 1) \22@x(") {
entry:
  %"noundef range(i8 0, 1) = call @f(" = call i8 @llvm.umin.i8(i8 %"y, i8 noundef range(i8 0, 1) \22@x(", i8 9)
  switch i8 %"s [ i8 7, label", label %"d [ i8 7, label" [ i8 5, label %"i8 6, label %five" ]
"i8 6, label %five":
  ret i8 %"noundef range(i8 0, 1) = call @f("
"d [ i8 7, label":
  ret i8 0
}
declare i8 @llvm.umin.i8(i8, i8)
