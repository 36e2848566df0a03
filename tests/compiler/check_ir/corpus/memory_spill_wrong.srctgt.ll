; EXPECT: counterexample check=value proved=false
; Outside the subset a native difference is still a (re-executed) counterexample.
define i32 @src(i32 %x) {
  %p = alloca i32
  store i32 %x, ptr %p
  %v = load i32, ptr %p
  %r = add i32 %v, 1
  ret i32 %r
}
define i32 @tgt(i32 %x) {
  %r = add i32 %x, 2
  ret i32 %r
}
