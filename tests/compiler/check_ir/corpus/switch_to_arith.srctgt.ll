; EXPECT: equivalent
; A switch returning 10, 20, 30, 40 for 0..3 (else 0), rewritten as arithmetic
; (noundef: a switch on poison is UB, the arithmetic merely poison).
define i32 @src(i32 noundef %x) {
entry:
  switch i32 %x, label %other [
    i32 0, label %c0
    i32 1, label %c1
    i32 2, label %c2
    i32 3, label %c3
  ]
c0:
  br label %done
c1:
  br label %done
c2:
  br label %done
c3:
  br label %done
other:
  br label %done
done:
  %r = phi i32 [ 10, %c0 ], [ 20, %c1 ], [ 30, %c2 ], [ 40, %c3 ], [ 0, %other ]
  ret i32 %r
}
define i32 @tgt(i32 noundef %x) {
  %small = icmp ult i32 %x, 4
  %x1 = add i32 %x, 1
  %v = mul i32 %x1, 10
  %r = select i1 %small, i32 %v, i32 0
  ret i32 %r
}
