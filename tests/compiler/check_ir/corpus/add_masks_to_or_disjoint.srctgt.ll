; EXPECT: equivalent
; Adding values with disjoint bits is an or (and the disjoint flag is justified).
define i32 @src(i32 %x, i32 %y) {
  %hi = and i32 %x, -256
  %lo = and i32 %y, 255
  %r = add i32 %hi, %lo
  ret i32 %r
}
define i32 @tgt(i32 %x, i32 %y) {
  %hi = and i32 %x, -256
  %lo = and i32 %y, 255
  %r = or disjoint i32 %hi, %lo
  ret i32 %r
}
