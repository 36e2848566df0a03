; EXPECT: refines
; freeze turns a poison result into some value: more defined, so it refines.
define i8 @src(i8 %x, i8 %y) {
  %r = add nuw i8 %x, %y
  ret i8 %r
}
define i8 @tgt(i8 %x, i8 %y) {
  %a = add nuw i8 %x, %y
  %r = freeze i8 %a
  ret i8 %r
}
