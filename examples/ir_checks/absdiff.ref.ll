; EXPECT: refines
; Reference lowering of GIMPLE  _1 = a - b; _2 = ABS_EXPR <_1>;  (signed overflow is UB in C).
define i32 @absdiff(i32 %a, i32 %b) {
entry:
  %d = sub nsw i32 %a, %b
  %r = call i32 @llvm.abs.i32(i32 %d, i1 true)
  ret i32 %r
}
declare i32 @llvm.abs.i32(i32, i1)
