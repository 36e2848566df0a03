; EXPECT: counterexample check=value
; Reference: clamp a signed int to [0, 255]  (MIN_EXPR / MAX_EXPR in GIMPLE).
define i32 @clamp(i32 %x) {
  %lo = call i32 @llvm.smin.i32(i32 %x, i32 255)
  %r = call i32 @llvm.smax.i32(i32 %lo, i32 0)
  ret i32 %r
}
declare i32 @llvm.smin.i32(i32, i32)
declare i32 @llvm.smax.i32(i32, i32)
