; A model's translation that treats the value as unsigned: negatives clamp to 255.
define i32 @clamp(i32 %x) {
  %r = call i32 @llvm.umin.i32(i32 %x, i32 255)
  ret i32 %r
}
declare i32 @llvm.umin.i32(i32, i32)
