; EXPECT: counterexample check=poison
; abs with is_int_min_poison=true is poison at INT_MIN, where the select is not.
define i8 @src(i8 %x) {
  %neg = icmp slt i8 %x, 0
  %m = sub i8 0, %x
  %r = select i1 %neg, i8 %m, i8 %x
  ret i8 %r
}
define i8 @tgt(i8 %x) {
  %r = call i8 @llvm.abs.i8(i8 %x, i1 true)
  ret i8 %r
}
declare i8 @llvm.abs.i8(i8, i1)
