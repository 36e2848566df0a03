"""LLVM IR text for the fused int8 scan + top-k kernel.

One function per (ISA, row stride, register block)::

    void NAME(ptr rows, ptr row_scale, ptr row_bias, i64 r0, i64 r1,
              ptr queries, ptr lane_qscale, ptr lane_qbias, i64 nq, i64 k,
              ptr heap_scores, ptr heap_ids)

For rows ``r0 <= i < r1`` and queries ``j < nq`` (``nq`` a multiple of the
block's query count ``QB``) it computes ``dot = Σ u·q − qbias[j]`` (exact
int32; ``qbias = 128·Σq`` undoes the biased storage), the score
``float(dot) * row_scale[i] * qscale[j] + row_bias[i]`` (float32, that order,
no fused multiply-add, so a numpy reference rounds identically), and offers
``(score, i)`` to query ``j``'s min-heap of size ``k`` in
``heap_scores/heap_ids`` (row ``j``). Ranking: higher score first, lower row
first on ties; empty slots hold ``(-inf, INT64_MAX)``.

A register block is QB queries × RB rows = 8·G (query, row) pairs, pair
``P = a·RB + b``. ``lane_qscale``/``lane_qbias`` hold, per query block, the
query constants already spread over the pairs (``[nq/QB, 8·G]``, lane P gets
query a's value), so scoring a block is a few 8-lane vector ops: the 8
accumulators of a group are reduced together by a shuffle tree, scored as one
vector and compared with the heap roots; ``heap_offer`` is called only when
some lane may enter a top-k.

Loop order is rows outside, queries inside: a block of rows is read from
memory once and reused by every query while it sits in L1. The stride is a
compile-time constant, so the chunk loop is fully unrolled for usual widths.

A kernel that streams all rows for one small query block (single queries,
batch remainders) reads them as ``S`` interleaved streams (:data:`STREAMS`):
the range is cut into ``S`` equal parts and a block of RB rows takes RB / S
consecutive rows from each. One core's DRAM bandwidth grows with the number of
concurrent sequential streams (measured here: 20.9 GB/s for one, 27.8 for four
to eight), because each stream gets its own hardware prefetcher; a single
stream leaves a quarter of it unused. Visiting rows out of order is safe: the
heap ranks by (score, row).
"""
from __future__ import annotations

from nsl.compiler.jit.knn_ir_queries import queries_module
from nsl.compiler.jit.knn_isa import Isa
from nsl.compiler.jit.knn_ir_topk import (FINISH, HEAP_OFFER, mask as _mask, reduce_block,
                                          score_block_vector, score_groups, score_pair_scalar)

PREFETCH_BYTES = 1024  # ahead of each stream
PREFETCH_LOCALITY = 0  # non-temporal: each row is read once, keep L2/L3 for the rest
# Software prefetch only while each stream's run per block is short: measured
# over 1M rows, 4 streams, d = 128 (256-byte runs) went 0.88 -> 0.95 of the
# read line with it, d = 384 (768-byte runs) 0.82 -> 0.59: there the hardware
# prefetcher keeps up alone and the extra requests only get in its way.
PREFETCH_MAX_RUN = 256
# Interleaved row streams of a kernel that streams rows for one query block:
# four reached the multi-stream read line here, eight were no faster (and add
# row-scale/bias streams of their own).
STREAMS = 4
# Rows up to this many bytes have their chunk loop unrolled; longer rows keep
# it rolled. Measured on Zen 3 (avx2mask, in cache): the same speed at 128
# bytes, rolled 5-30% faster at 256 and 384 (single queries and batches).
UNROLL_BYTES = 128
SIGNATURE = "void(ptr,ptr,ptr,i64,i64,ptr,ptr,ptr,i64,i64,ptr,ptr)"

class _Emitter:
    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, *lines: str) -> None:
        self.lines.extend(lines)

    def label(self, name: str) -> None:
        self.lines.append(f"{name}:")


def scan_function(isa: Isa, name: str, stride: int, block: tuple[int, int],
                  queries_outer: bool = False, with_bias: bool = True) -> str:
    """IR text of one scan kernel (see the module docstring for its contract).

    ``queries_outer`` swaps the loops (each query block streams all rows): for a
    kernel only ever called with ``nq == QB``. Otherwise LLVM hoists the widened
    row chunks out of the (one-iteration) query loop and spills them.

    Without ``with_bias`` the kernel never reads ``row_bias`` and adds +0.0
    instead (the same rounding, -0.0 included): for indexes whose biases are
    all zero (``ip``, ``cosine``), 4 bytes a row less to stream from memory."""
    if stride % isa.width:
        raise ValueError(f"stride {stride} is not a multiple of {isa.width}")
    qb, rb = block
    if (qb * rb) % 8:
        raise ValueError(f"block {block} does not fill 8-lane groups")
    out = _Emitter()
    out(f"define void @{name}(ptr noalias %rows, ptr noalias %row_scale, ptr noalias %row_bias, "
        "i64 %r0, i64 %r1, ptr noalias %queries, ptr noalias %lane_qscale, "
        "ptr noalias %lane_qbias, i64 %nq, i64 %k, ptr noalias %heap_scores, "
        "ptr noalias %heap_ids) nounwind {")
    out.label("entry")
    out("%span = sub i64 %r1, %r0", f"%blocks = sdiv i64 %span, {rb}",
        f"%whole_rows = mul i64 %blocks, {rb}", "%r_main = add i64 %r0, %whole_rows")
    if queries_outer:
        group = rb // stream_count(rb)  # stream s starts s·group·blocks rows in
        out(*(f"%stream{s} = mul i64 %blocks, {s * group}" for s in range(stream_count(rb))))
        out("br label %q_head")
        out.label("q_head")
        out("%q_j = phi i64 [0, %entry], [%q_j_next, %q_latch]",
            "%q_more = icmp slt i64 %q_j, %nq",
            "br i1 %q_more, label %q_body, label %exit")
        out.label("q_body")
        _query_setup(out, isa, stride, qb, rb, "q")
        out("br label %main_head")
        _streamed_rows(out, isa, stride, qb, rb, "main", "q_body", "tail_head", with_bias)
        _tail_rows(out, isa, stride, qb, rb, "tail", "%r_main", "main_head", "%r1", "q_latch", with_bias)
        out.label("q_latch")
        out(f"%q_j_next = add i64 %q_j, {qb}", "br label %q_head")
    else:
        out("br label %main_head")
        _pipelined_row_loop(out, isa, stride, qb, rb, "main", "%r0", "entry", "%r_main", "tail_head",
                            with_bias)
        # Leftover rows (fewer than RB): one row at a time, scored pair by pair.
        _tail_row_loop(out, isa, stride, qb, rb, "tail", "%r_main", "main_head", "%r1", "exit",
                       with_bias)
    out.label("exit")
    out("ret void", "}")
    return "\n".join(out.lines) + "\n"


def stream_count(rb: int) -> int:
    """Streams of a block of RB rows: STREAMS, or fewer if RB is not a multiple."""
    streams = min(STREAMS, rb)
    while rb % streams:
        streams -= 1
    return streams


def _streamed_rows(out, isa, stride, qb, rb, tag, pred, exit_label, with_bias):
    """for t in [0, blocks): one block of RB rows against the current query
    block, G = RB / S consecutive rows from each of S streams — stream ``s``
    being rows ``r0 + s·G·blocks`` onwards (see the module docstring)."""
    streams = stream_count(rb)
    group = rb // streams
    out.label(f"{tag}_head")
    out(f"%{tag}_t = phi i64 [0, %{pred}], [%{tag}_t_next, %{tag}_latch]",
        f"%{tag}_more = icmp slt i64 %{tag}_t, %blocks",
        f"br i1 %{tag}_more, label %{tag}_rows, label %{exit_label}")
    out.label(f"{tag}_rows")
    out(f"%{tag}_tg = mul i64 %{tag}_t, {group}", f"%{tag}_r = add i64 %r0, %{tag}_tg")
    for s in range(streams):
        out(f"%{tag}_s{s} = add i64 %{tag}_r, %stream{s}")
    _row_setup(out, stride, rb, tag, True, with_bias,
               lambda b: f"%{tag}_i{b} = add i64 %{tag}_s{b // group}, {b % group}")
    if PREFETCH_BYTES and stride * group <= PREFETCH_MAX_RUN:
        firsts = range(0, rb, group)
        _prefetch(out, tag, [f"%{tag}_row{b}" for b in firsts], stride * group)
    _block(out, isa, stride, qb, rb, rb, tag, "q", True)
    out(f"br label %{tag}_latch")
    out.label(f"{tag}_latch")
    out(f"%{tag}_t_next = add i64 %{tag}_t, 1", f"br label %{tag}_head")


def _tail_rows(out, isa, stride, qb, rb, tag, start, pred, end, exit_label, with_bias):
    """for r in [start, end): one row against the current query block, scored
    pair by pair (the rows left over after the streamed blocks)."""
    out.label(f"{tag}_head")
    out(f"%{tag}_r = phi i64 [{start}, %{pred}], [%{tag}_r_next, %{tag}_latch]",
        f"%{tag}_more = icmp slt i64 %{tag}_r, {end}",
        f"br i1 %{tag}_more, label %{tag}_rows, label %{exit_label}")
    out.label(f"{tag}_rows")
    step = _row_setup(out, stride, rb, tag, False, with_bias)
    _block(out, isa, stride, qb, rb, step, tag, "q", False)
    out(f"br label %{tag}_latch")
    out.label(f"{tag}_latch")
    out(f"%{tag}_r_next = add i64 %{tag}_r, {step}", f"br label %{tag}_head")


def _tail_row_loop(out, isa, stride, qb, rb, tag, start, pred, end, exit_label, with_bias):
    """for r in [start, end): for j in [0, nq) step QB: one row against the query block,
    scored pair by pair (the rows left over after the blocks of RB)."""
    out.label(f"{tag}_head")
    out(f"%{tag}_r = phi i64 [{start}, %{pred}], [%{tag}_r_next, %{tag}_q_exit]",
        f"%{tag}_more = icmp slt i64 %{tag}_r, {end}",
        f"br i1 %{tag}_more, label %{tag}_rows, label %{exit_label}")
    out.label(f"{tag}_rows")
    step = _row_setup(out, stride, rb, tag, False, with_bias)
    out(f"br label %{tag}_q_head")
    out.label(f"{tag}_q_head")
    out(f"%{tag}_j = phi i64 [0, %{tag}_rows], [%{tag}_j_next, %{tag}_q_body_end]",
        f"%{tag}_qmore = icmp slt i64 %{tag}_j, %nq",
        f"br i1 %{tag}_qmore, label %{tag}_q_body, label %{tag}_q_exit")
    out.label(f"{tag}_q_body")
    _query_setup(out, isa, stride, qb, rb, tag)
    _block(out, isa, stride, qb, rb, step, tag, tag, False)
    out(f"br label %{tag}_q_body_end")
    out.label(f"{tag}_q_body_end")
    out(f"%{tag}_j_next = add i64 %{tag}_j, {qb}", f"br label %{tag}_q_head")
    out.label(f"{tag}_q_exit")
    out(f"%{tag}_r_next = add i64 %{tag}_r, {step}", f"br label %{tag}_head")


def _pipelined_row_loop(out, isa, stride, qb, rb, tag, start, pred, end, exit_label, with_bias):
    """for r in [start, end) step RB: for j in [0, nq) step QB: one block — with each
    block's scoring moved into the next query block's iteration, ahead of its dot
    products (and after the last one into the flush).

    Scoring is a chain of dependent ops (subtract, convert, two multiplies, an add, a
    compare, a branch) on the block's reduced dot products; at the end of an iteration
    it holds up retirement while the next block's work piles up behind it, and placed
    first in the next iteration its inputs are ready. Measured on Zen 3 in paired
    rounds, batches of 64: 4-6% faster at d = 128, 1% at d = 384 (scoring is about 30%
    of a d = 128 block; most of it is throughput, not latency). A query's heap sees the
    same offers in the same order: its block is scored before the next row block."""
    groups = qb * rb // 8
    out.label(f"{tag}_head")
    out(f"%{tag}_r = phi i64 [{start}, %{pred}], [%{tag}_r_next, %{tag}_q_exit]",
        f"%{tag}_more = icmp slt i64 %{tag}_r, {end}",
        f"br i1 %{tag}_more, label %{tag}_rows, label %{exit_label}")
    out.label(f"{tag}_rows")
    step = _row_setup(out, stride, rb, tag, True, with_bias)
    out(f"br label %{tag}_q_head")
    out.label(f"{tag}_q_head")
    out(f"%{tag}_j = phi i64 [0, %{tag}_rows], [%{tag}_j_next, %{tag}_q_body_end]",
        f"%{tag}_pending = phi i1 [false, %{tag}_rows], [true, %{tag}_q_body_end]",
        f"%{tag}_pj = phi i64 [0, %{tag}_rows], [%{tag}_j, %{tag}_q_body_end]",
        *(f"%{tag}_praw{g} = phi <8 x i32> [zeroinitializer, %{tag}_rows], "
          f"[%{tag}_g{g}_raw, %{tag}_q_body_end]" for g in range(groups)),
        f"%{tag}_qmore = icmp slt i64 %{tag}_j, %nq",
        f"br i1 %{tag}_qmore, label %{tag}_q_body, label %{tag}_flush")
    praws = [f"%{tag}_praw{g}" for g in range(groups)]
    out.label(f"{tag}_q_body")
    _score_pending(out, isa, stride, qb, rb, tag, f"{tag}p", praws, f"{tag}_dots")
    out.label(f"{tag}_dots")
    _query_setup(out, isa, stride, qb, rb, tag)
    accs = _dot_block(out, isa, stride, qb, step, tag, tag)
    reduce_block(out, isa, tag, qb, rb, accs)
    out(f"br label %{tag}_q_body_end")
    out.label(f"{tag}_q_body_end")
    out(f"%{tag}_j_next = add i64 %{tag}_j, {qb}", f"br label %{tag}_q_head")
    out.label(f"{tag}_flush")
    _score_pending(out, isa, stride, qb, rb, tag, f"{tag}f", praws, f"{tag}_q_exit")
    out.label(f"{tag}_q_exit")
    out(f"%{tag}_r_next = add i64 %{tag}_r, {step}", f"br label %{tag}_head")


def _score_pending(out, isa, stride, qb, rb, tag, name, raws, then):
    """If a block is pending (%{tag}_pending), score it (query block %{tag}_pj, reduced
    groups ``raws``) under the names ``name``; then branch to ``then``."""
    out(f"br i1 %{tag}_pending, label %{name}_score, label %{then}")
    out.label(f"{name}_score")
    out(f"%{name}_j = add i64 %{tag}_pj, 0")
    _query_setup(out, isa, stride, qb, rb, name)
    score_groups(out, name, tag, name, qb, rb, raws)
    out(f"br label %{then}")


def _row_setup(out, stride, rb, tag, vector, with_bias, row_index=None) -> int:
    """Row pointers, scales and biases of the block starting at %{tag}_r
    (``row_index(b)``: the line defining row b's index, default r + b)."""
    step = rb if vector else 1
    out(*row_scalars(stride, step, tag, with_bias, row_index))
    if vector:
        _row_lane_vectors(out, tag, rb)
    return step


def row_scalars(stride, count, tag, with_bias, row_index=None) -> list[str]:
    """IR for rows r + b, b < count, of the block at %{tag}_r: index %{tag}_i{b},
    pointer %{tag}_row{b}, scale %{tag}_rs{b} and bias %{tag}_rb{b} (+0.0 without
    biases: still added, so the rounding is the same)."""
    lines = []
    for b in range(count):
        lines += [row_index(b) if row_index else f"%{tag}_i{b} = add i64 %{tag}_r, {b}",
                  f"%{tag}_roff{b} = mul i64 %{tag}_i{b}, {stride}",
                  f"%{tag}_row{b} = getelementptr i8, ptr %rows, i64 %{tag}_roff{b}",
                  f"%{tag}_rsp{b} = getelementptr float, ptr %row_scale, i64 %{tag}_i{b}",
                  f"%{tag}_rs{b} = load float, ptr %{tag}_rsp{b}"]
        if with_bias:
            lines += [f"%{tag}_rbp{b} = getelementptr float, ptr %row_bias, i64 %{tag}_i{b}",
                      f"%{tag}_rb{b} = load float, ptr %{tag}_rbp{b}"]
        else:
            lines.append(f"%{tag}_rb{b} = bitcast i32 0 to float")
    return lines


def _prefetch(out, tag, row_pointers, stream_bytes):
    """Ask for each stream's bytes PREFETCH_BYTES ahead of this block: the
    hardware prefetcher alone leaves DRAM idle gaps in a pure scan."""
    distance = max(PREFETCH_BYTES, 2 * stream_bytes)  # never inside the rows being read
    for s, base in enumerate(row_pointers):
        for line in range(0, stream_bytes, 64):
            name = f"%{tag}_pf{s}_{line}"
            out(f"{name} = getelementptr i8, ptr {base}, i64 {distance + line}",
                f"call void @llvm.prefetch.p0(ptr {name}, i32 0, i32 {PREFETCH_LOCALITY}, i32 1)")


def _query_setup(out, isa, stride, qb, rb, qt):
    """Query pointers, heap pointers and lane offset of the block at %{qt}_j."""
    qrow_bytes = stride * isa.query_expansion
    out(f"%{qt}_jb = sdiv i64 %{qt}_j, {qb}",
        f"%{qt}_lane0 = mul i64 %{qt}_jb, {qb * rb}")
    for a in range(qb):
        out(f"%{qt}_ja{a} = add i64 %{qt}_j, {a}",
            f"%{qt}_hoff{a} = mul i64 %{qt}_ja{a}, %k",
            f"%{qt}_hs{a} = getelementptr float, ptr %heap_scores, i64 %{qt}_hoff{a}",
            f"%{qt}_hi{a} = getelementptr i64, ptr %heap_ids, i64 %{qt}_hoff{a}",
            f"%{qt}_qoff{a} = mul i64 %{qt}_ja{a}, {qrow_bytes}",
            f"%{qt}_qp{a} = getelementptr i8, ptr %queries, i64 %{qt}_qoff{a}")


def _block(out, isa, stride, qb, rb, step, tag, qt, vector):
    accs = _dot_block(out, isa, stride, qb, step, tag, qt)
    if vector:
        score_block_vector(out, isa, tag, qt, qb, rb, accs)
    else:
        for a in range(qb):
            score_pair_scalar(out, isa, tag, qt, a, rb, accs[a][0])


def _row_lane_vectors(out, tag, rb):
    """<8 x float> row scale / bias per lane group (lane P's row is P mod RB)."""
    for what in ("rs", "rb"):
        vec = "undef"
        for b in range(rb):
            out(f"%{tag}_{what}v{b} = insertelement <{rb} x float> {vec}, float %{tag}_{what}{b}, i32 {b}")
            vec = f"%{tag}_{what}v{b}"
        out(f"%{tag}_{what}_lanes = shufflevector <{rb} x float> {vec}, <{rb} x float> poison, "
            f"{_mask([p % rb for p in range(8)])}")


def _dot_block(out, isa, stride, qb, rb, tag, qt):
    """Accumulate the qb × rb chunk dot products; returns accumulator names."""
    chunks = stride // isa.width
    qstep = isa.width * isa.query_expansion  # query bytes per chunk
    if stride <= UNROLL_BYTES and qb == 1:
        # One query: finish each row's chain before the next. Emitting all
        # rows chunk by chunk keeps RB accumulators and the query live at once,
        # and LLVM then spills accumulators inside the loop.
        accs = [[None] * rb]
        for b in range(rb):
            acc = isa.zero()
            for c in range(chunks):
                step = _chunk(out, isa, f"{tag}_b{b}", qt, 1, 1, [[acc]], f"c{c}",
                              c * isa.width, c * qstep, row_base=f"%{tag}_row{b}")
                acc = step[0][0]
            accs[0][b] = acc
        return accs
    if stride <= UNROLL_BYTES:
        accs = [[isa.zero() for _ in range(rb)] for _ in range(qb)]
        for c in range(chunks):
            accs = _chunk(out, isa, tag, qt, qb, rb, accs, f"c{c}", c * isa.width, c * qstep)
        return accs
    # Rolled loop over chunks, accumulators carried in phis.
    body = f"{tag}_chunk"
    out(f"br label %{tag}_chunk_entry")
    out.label(f"{tag}_chunk_entry")
    out(f"br label %{body}")
    out.label(body)
    phis = [[f"%{tag}_acc{a}_{b}" for b in range(rb)] for a in range(qb)]
    out(f"%{tag}_c = phi i64 [0, %{tag}_chunk_entry], [%{tag}_c_next, %{body}]")
    for a in range(qb):
        for b in range(rb):
            out(f"{phis[a][b]} = phi {isa.acc_type} [zeroinitializer, %{tag}_chunk_entry], "
                f"[%{tag}_cl_{a}_{b}, %{body}]")
    out(f"%{tag}_roffc = mul i64 %{tag}_c, {isa.width}", f"%{tag}_qoffc = mul i64 %{tag}_c, {qstep}")
    new = _chunk(out, isa, tag, qt, qb, rb, phis, "cl", f"%{tag}_roffc", f"%{tag}_qoffc")
    out(f"%{tag}_c_next = add i64 %{tag}_c, 1",
        f"%{tag}_c_more = icmp slt i64 %{tag}_c_next, {chunks}",
        f"br i1 %{tag}_c_more, label %{body}, label %{tag}_chunk_done")
    out.label(f"{tag}_chunk_done")
    return new


def _chunk(out, isa, tag, qt, qb, rb, accs, cname, row_off, q_off, row_base=None):
    row_cache: dict = {}
    rptr = []
    for b in range(rb):
        p = f"%{tag}_{cname}_rp{b}"
        out(f"{p} = getelementptr i8, ptr {row_base or f'%{tag}_row{b}'}, i64 {row_off}")
        rptr.append(p)
    new = [[None] * rb for _ in range(qb)]
    for a in range(qb):
        qp = f"%{tag}_{cname}_qp{a}"
        out(f"{qp} = getelementptr i8, ptr %{qt}_qp{a}, i64 {q_off}")
        for b in range(rb):
            name = f"{tag}_{cname}_{a}_{b}"
            out(*isa.step(name, accs[a][b], rptr[b], qp, row_cache))
            new[a][b] = f"%{name}"
    return new


def scan_module(isa: Isa, stride: int, blocks: dict, header: str) -> str:
    """A module with one scan function per name in ``blocks`` (name → ((QB, RB),
    kind, with_bias), kind one of :data:`KERNEL_KINDS`), ``heap_offer``,
    ``knn_finish`` and the query preparation of ``knn_ir_queries``."""
    from nsl.compiler.jit.knn_ir_lanes import declarations, lanes_function

    parts = [header, isa.declarations, declarations(isa),
             "declare i32 @llvm.vector.reduce.add.v8i32(<8 x i32>)",
             "declare void @llvm.prefetch.p0(ptr, i32, i32, i32)",
             "declare i32 @llvm.vector.reduce.add.v16i32(<16 x i32>)", HEAP_OFFER, FINISH,
             queries_module(isa, stride)]
    for fn_name, (block, kind, with_bias) in blocks.items():
        if kind == "lanes":
            parts.append(lanes_function(isa, fn_name, stride, with_bias))
        else:
            parts.append(scan_function(isa, fn_name, stride, block, kind == "queries_outer", with_bias))
    return "\n".join(parts)


#: rows_outer: a block of rows read once for the whole batch (register blocks);
#: queries_outer: each query block streams every row (single queries, remainders);
#: lanes: ``knn_ir_lanes``, queries across the lanes (batches, where the ISA has it)
KERNEL_KINDS = ("rows_outer", "queries_outer", "lanes")
