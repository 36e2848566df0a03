"""The top-k half of the knn kernel IR: the heap, the 8-lane reduction of a
register block's accumulators, scoring a block against the heap roots, and
``knn_finish``, which merges per-thread heaps and sorts them into results.
See ``knn_ir`` for the kernel's contract."""
from __future__ import annotations

from nsl.compiler.jit.ir_text import counted_loop


def mask(values) -> str:
    """A shufflevector mask operand, type included."""
    return f"<{len(values)} x i32> <" + ", ".join(f"i32 {v}" for v in values) + ">"


def _ranks_below(name: str, score: str, row: str, other_score: str, other_row: str) -> str:
    """``%{name}``: (score, row) ranks below (other_score, other_row) -- a lower
    score, or the same score and a higher row (the result order's inverse)."""
    return (f"  %{name}_lt = fcmp olt float {score}, {other_score}\n"
            f"  %{name}_eq = fcmp oeq float {score}, {other_score}\n"
            f"  %{name}_gt_row = icmp sgt i64 {row}, {other_row}\n"
            f"  %{name}_tie = and i1 %{name}_eq, %{name}_gt_row\n"
            f"  %{name} = or i1 %{name}_lt, %{name}_tie\n")


def _sift_down(size: str, start: str) -> str:
    """IR blocks ``sift`` .. ``move`` moving the item ``(%s, %id)`` down a
    min-heap of ``size`` slots from the root (entered from block ``start``);
    they leave to block ``place`` with ``%pos``, the slot the item goes to."""
    return f"""sift:
  %pos = phi i64 [0, %{start}], [%child, %move]
  %c1 = shl i64 %pos, 1
  %c = add i64 %c1, 1
  %has_c = icmp slt i64 %c, {size}
  br i1 %has_c, label %pick, label %place
pick:
  %c2 = add i64 %c, 1
  %has_c2 = icmp slt i64 %c2, {size}
  %cs = getelementptr float, ptr %hs, i64 %c
  %ci = getelementptr i64, ptr %hi, i64 %c
  %vs = load float, ptr %cs
  %vi = load i64, ptr %ci
  br i1 %has_c2, label %pick2, label %cmp
pick2:
  %c2s = getelementptr float, ptr %hs, i64 %c2
  %c2i = getelementptr i64, ptr %hi, i64 %c2
  %v2s = load float, ptr %c2s
  %v2i = load i64, ptr %c2i
{_ranks_below("second_worse", "%v2s", "%v2i", "%vs", "%vi")}  %ws = select i1 %second_worse, float %v2s, float %vs
  %wi = select i1 %second_worse, i64 %v2i, i64 %vi
  %wc = select i1 %second_worse, i64 %c2, i64 %c
  br label %cmp
cmp:
  %child = phi i64 [%c, %pick], [%wc, %pick2]
  %cws = phi float [%vs, %pick], [%ws, %pick2]
  %cwi = phi i64 [%vi, %pick], [%wi, %pick2]
  ; the child moves up if it ranks below the item
{_ranks_below("child_worse", "%cws", "%cwi", "%s", "%id")}  br i1 %child_worse, label %move, label %place
move:
  %ps = getelementptr float, ptr %hs, i64 %pos
  %pi = getelementptr i64, ptr %hi, i64 %pos
  store float %cws, ptr %ps
  store i64 %cwi, ptr %pi
  br label %sift
"""


HEAP_OFFER = """
; Replace the root of a min-heap (worst kept item) by (s, id) if it ranks
; higher, then sift down. Out of the hot loop: most rows never get here.
define internal void @heap_offer(ptr %hs, ptr %hi, i64 %k, float %s, i64 %id) noinline nounwind {
entry:
  %rs = load float, ptr %hs
  %ri = load i64, ptr %hi
""" + _ranks_below("better", "%rs", "%ri", "%s", "%id") + """  br i1 %better, label %sift, label %done
""" + _sift_down("%k", "entry") + """place:
  %fs = getelementptr float, ptr %hs, i64 %pos
  %fi = getelementptr i64, ptr %hi, i64 %pos
  store float %s, ptr %fs
  store i64 %id, ptr %fi
  br label %done
done:
  ret void
}
"""

HEAP_SORT = """
; Sort a min-heap into result order in place (best first: higher score, then
; lower row): the root, the worst item, swaps with the last slot and the item
; from there sifts down the slots before it, and so on.
define internal void @heap_sort_best_first(ptr %hs, ptr %hi, i64 %k) noinline nounwind {
entry:
  %last = sub i64 %k, 1
  br label %outer
outer:
  %end = phi i64 [%last, %entry], [%end_next, %place]
  %more = icmp sgt i64 %end, 0
  br i1 %more, label %swap, label %done
swap:
  %pes = getelementptr float, ptr %hs, i64 %end
  %pei = getelementptr i64, ptr %hi, i64 %end
  %s = load float, ptr %pes
  %id = load i64, ptr %pei
  %rs = load float, ptr %hs
  %ri = load i64, ptr %hi
  store float %rs, ptr %pes
  store i64 %ri, ptr %pei
  br label %sift
""" + _sift_down("%end", "swap") + """place:
  %fs = getelementptr float, ptr %hs, i64 %pos
  %fi = getelementptr i64, ptr %hi, i64 %pos
  store float %s, ptr %fs
  store i64 %id, ptr %fi
  %end_next = sub i64 %end, 1
  br label %outer
done:
  ret void
}
"""

EMPTY_ROW = 2**63 - 1  # heap sentinel, ranks below every real row

# void knn_finish(ptr heap_scores, ptr heap_ids, i64 parts, i64 part_stride, i64 nq, i64 k)
FINISH_SIGNATURE = "void(ptr,ptr,i64,i64,i64,i64)"
FINISH = HEAP_SORT + f"""
; The result of a scan split over ``parts`` row ranges, each with its own heaps
; (``part_stride`` items apart): part t > 0's items are offered to part 0's
; heap of the same query, which is then sorted best first, its empty slots'
; rows set to -1. The result is part 0's heaps.
define void @knn_finish(ptr noalias %hs, ptr noalias %hi, i64 %parts, i64 %part_stride,
                        i64 %nq, i64 %k) nounwind {{
entry:
  br label %query
{counted_loop("query", "j", "0", "entry", "query_done", "%nq", "q_body", "exit")}q_body:
  %base = mul i64 %j, %k
  %hs0 = getelementptr float, ptr %hs, i64 %base
  %hi0 = getelementptr i64, ptr %hi, i64 %base
  br label %part
{counted_loop("part", "t", "1", "q_body", "part_done", "%parts", "t_body", "sort")}t_body:
  %toff = mul i64 %t, %part_stride
  %pbase = add i64 %toff, %base
  br label %slot
{counted_loop("slot", "i", "0", "t_body", "slot_next", "%k", "i_body", "part_done")}i_body:
  %p = add i64 %pbase, %i
  %pi = getelementptr i64, ptr %hi, i64 %p
  %id = load i64, ptr %pi
  %empty = icmp eq i64 %id, {EMPTY_ROW}
  br i1 %empty, label %slot_next, label %offer
offer:
  %ps = getelementptr float, ptr %hs, i64 %p
  %sc = load float, ptr %ps
  call void @heap_offer(ptr %hs0, ptr %hi0, i64 %k, float %sc, i64 %id)
  br label %slot_next
slot_next:
  %i_next = add i64 %i, 1
  br label %slot
part_done:
  %t_next = add i64 %t, 1
  br label %part
sort:
  call void @heap_sort_best_first(ptr %hs0, ptr %hi0, i64 %k)
  br label %unset
{counted_loop("unset", "u", "0", "sort", "u_body", "%k", "u_body", "query_done")}u_body:
  %pu = getelementptr i64, ptr %hi0, i64 %u
  %iu = load i64, ptr %pu
  %eu = icmp eq i64 %iu, {EMPTY_ROW}
  %nu = select i1 %eu, i64 -1, i64 %iu
  store i64 %nu, ptr %pu
  %u_next = add i64 %u, 1
  br label %unset
query_done:
  %j_next = add i64 %j, 1
  br label %query
exit:
  ret void
}}
"""


def score(name: str, lanes: int | None, dot: str, row_scale: str, query_scale: str,
          row_bias: str) -> list[str]:
    """IR for ``%{name}`` = ``float(dot) * row_scale * query_scale + row_bias`` in
    float32, in that order and with no fused multiply-add: the rounding every
    path and the numpy reference share (see ``knn_ir``). ``lanes``: the vector
    width of the operands, None for scalars."""
    ity, fty = ("i32", "float") if lanes is None else (f"<{lanes} x i32>", f"<{lanes} x float>")
    return [f"%{name}_f = sitofp {ity} {dot} to {fty}",
            f"%{name}_x = fmul {fty} %{name}_f, {row_scale}",
            f"%{name}_y = fmul {fty} %{name}_x, {query_scale}",
            f"%{name} = fadd {fty} %{name}_y, {row_bias}"]


def _reduce8(out, name, vs):
    """%{name}: <8 x i32> whose lane i is the sum of vs[i]'s lanes (a shuffle tree:
    21 vector ops for 8 sums instead of 8 separate horizontal reductions)."""
    v = "<8 x i32>"
    xs = []
    for i in range(4):  # halves: lanes 0-3 from vs[i], 4-7 from vs[i+4]
        out(f"%{name}_l{i} = shufflevector {v} {vs[i]}, {v} {vs[i + 4]}, {mask([0, 1, 2, 3, 8, 9, 10, 11])}",
            f"%{name}_h{i} = shufflevector {v} {vs[i]}, {v} {vs[i + 4]}, {mask([4, 5, 6, 7, 12, 13, 14, 15])}",
            f"%{name}_x{i} = add {v} %{name}_l{i}, %{name}_h{i}")
        xs.append(f"%{name}_x{i}")
    zs = []
    for i, (x0, x1) in enumerate(((xs[0], xs[1]), (xs[2], xs[3]))):
        out(f"%{name}_p{i} = shufflevector {v} {x0}, {v} {x1}, {mask([0, 8, 1, 9, 4, 12, 5, 13])}",
            f"%{name}_q{i} = shufflevector {v} {x0}, {v} {x1}, {mask([2, 10, 3, 11, 6, 14, 7, 15])}",
            f"%{name}_z{i} = add {v} %{name}_p{i}, %{name}_q{i}")
        zs.append(f"%{name}_z{i}")
    out(f"%{name}_e = shufflevector {v} {zs[0]}, {v} {zs[1]}, {mask([0, 1, 8, 9, 4, 5, 12, 13])}",
        f"%{name}_o = shufflevector {v} {zs[0]}, {v} {zs[1]}, {mask([2, 3, 10, 11, 6, 7, 14, 15])}",
        f"%{name} = add {v} %{name}_e, %{name}_o")


def score_block_vector(out, isa, tag, qt, qb, rb, accs):
    """Reduce a block's accumulators and score them at once (see :func:`score_groups`)."""
    score_groups(out, tag, tag, qt, qb, rb, reduce_block(out, isa, tag, qb, rb, accs))


def reduce_block(out, isa, name, qb, rb, accs) -> list[str]:
    """The block's dot products, one ``<8 x i32>`` per 8-pair group (pair P = a·RB + b)."""
    pairs = [(a, b) for a in range(qb) for b in range(rb)]
    raws = []
    for g in range(len(pairs) // 8):
        n = f"{name}_g{g}"
        folded = []
        for a, b in pairs[8 * g: 8 * g + 8]:
            out(*isa.fold_to_8(f"{n}_f{a}_{b}", accs[a][b]))
            folded.append(f"%{n}_f{a}_{b}")
        _reduce8(out, f"{n}_raw", folded)
        raws.append(f"%{n}_raw")
    return raws


def score_groups(out, name, row_tag, qt, qb, rb, raws):
    """Score the reduced groups ``raws`` of the block of query block ``qt`` (its heap
    pointers and lane offset) against the rows of ``row_tag`` (their indices and lane
    vectors), and offer the lanes that may enter a top-k. ``name`` prefixes the labels
    and values emitted, so one block can be scored at two places."""
    pairs = [(a, b) for a in range(qb) for b in range(rb)]
    roots = "undef"
    for a in range(qb):
        out(f"%{name}_root{a} = load float, ptr %{qt}_hs{a}",
            f"%{name}_rootv{a} = insertelement <{qb} x float> {roots}, float %{name}_root{a}, i32 {a}")
        roots = f"%{name}_rootv{a}"
    for g, raw in enumerate(raws):
        lanes = pairs[8 * g: 8 * g + 8]
        n = f"{name}_g{g}"
        out(f"%{n}_lane = add i64 %{qt}_lane0, {8 * g}",
            f"%{n}_qsp = getelementptr float, ptr %lane_qscale, i64 %{n}_lane",
            f"%{n}_qs = load <8 x float>, ptr %{n}_qsp, align 4",
            f"%{n}_qbp = getelementptr i32, ptr %lane_qbias, i64 %{n}_lane",
            f"%{n}_qb = load <8 x i32>, ptr %{n}_qbp, align 4",
            f"%{n}_dot = sub <8 x i32> {raw}, %{n}_qb",
            *score(n, 8, f"%{n}_dot", f"%{row_tag}_rs_lanes", f"%{n}_qs", f"%{row_tag}_rb_lanes"),
            f"%{n}_roots = shufflevector <{qb} x float> {roots}, <{qb} x float> poison, "
            f"{mask([a for a, _ in lanes])}",
            f"%{n}_cand = fcmp oge <8 x float> %{n}, %{n}_roots",
            f"%{n}_bits = bitcast <8 x i1> %{n}_cand to i8",
            f"%{n}_any = icmp ne i8 %{n}_bits, 0",
            f"br i1 %{n}_any, label %{n}_offer, label %{n}_next")
        out.label(f"{n}_offer")
        for p, (a, b) in enumerate(lanes):
            # heap_offer re-checks against the current root, which earlier
            # lanes of this group may have raised.
            out(f"%{n}_s{p} = extractelement <8 x float> %{n}, i32 {p}",
                f"call void @heap_offer(ptr %{qt}_hs{a}, ptr %{qt}_hi{a}, i64 %k, "
                f"float %{n}_s{p}, i64 %{row_tag}_i{b})")
        out(f"br label %{n}_next")
        out.label(f"{n}_next")
        # Later groups compare with the roots as this group's offers left them.
        roots = "undef"
        for a in range(qb):
            out(f"%{n}_root{a} = load float, ptr %{qt}_hs{a}",
                f"%{n}_rootv{a} = insertelement <{qb} x float> {roots}, float %{n}_root{a}, i32 {a}")
            roots = f"%{n}_rootv{a}"


def score_pair_scalar(out, isa, tag, qt, a, rb, acc):
    """Score query a against the single tail row (lane constants at pair a·RB)."""
    n = f"{tag}_s{a}"
    out(*isa.reduce(f"{n}_raw", acc))
    out(f"%{n}_lane = add i64 %{qt}_lane0, {a * rb}",
        f"%{n}_qsp = getelementptr float, ptr %lane_qscale, i64 %{n}_lane",
        f"%{n}_qs = load float, ptr %{n}_qsp",
        f"%{n}_qbp = getelementptr i32, ptr %lane_qbias, i64 %{n}_lane",
        f"%{n}_qb = load i32, ptr %{n}_qbp",
        f"%{n}_dot = sub i32 %{n}_raw, %{n}_qb",
        *score(n, None, f"%{n}_dot", f"%{tag}_rs0", f"%{n}_qs", f"%{tag}_rb0"),
        f"%{n}_root = load float, ptr %{qt}_hs{a}",
        f"%{n}_cand = fcmp oge float %{n}, %{n}_root",
        f"br i1 %{n}_cand, label %{n}_offer, label %{n}_next")
    out.label(f"{n}_offer")
    out(f"call void @heap_offer(ptr %{qt}_hs{a}, ptr %{qt}_hi{a}, i64 %k, float %{n}, i64 %{tag}_i0)",
        f"br label %{n}_next")
    out.label(f"{n}_next")
