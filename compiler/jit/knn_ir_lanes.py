"""LLVM IR text for the *lanes* scan kernel: batches with queries across a vector's lanes.

The register-blocked kernels of ``knn_ir`` keep one accumulator per (query,
row) pair whose lanes hold partial sums over dimensions; every block ends in a
shuffle tree reducing those lanes (21 vector ops per 8 pairs) before scoring.
The lanes kernel turns the layout around: lane ``a`` of an accumulator is
query ``a`` of a block of ``QL`` queries (:attr:`Isa.lanes`), and one row's
4-byte group of dimensions is broadcast to every lane. An accumulator then
ends holding ``QL`` finished dot products of one row -- no reduction -- and
is scored as it is. Measured on Zen 3 (avx2mask, d = 128, in cache, batches
of 64): 6.0 cycles a (query, row) pair against 7.9 for the blocked kernel.

Same function signature and contract as ``knn_ir`` (``nq`` a multiple of
``QL``). ``queries`` points at the *lanes layout* of the encoded queries
(:func:`lanes_view` in ``knn_kernels`` writes it): per block of QL queries,
per 4-byte group of dimensions ``g``, :attr:`Isa.lanes_group_bytes` bytes --
for ``sign_mask`` the QL queries' 4 mask bytes, then their 4 ``|q|`` bytes;
for ``int8`` their 4 signed bytes. ``lane_qscale``/``lane_qbias`` hold one
value per query (the (QL, 1) spread). Loop order: rows outside (a block of
:data:`LANES_ROWS` rows, read once for the whole batch), query blocks inside.

Offers: a row's scores are compared with the roots of its queries' heaps as
they stood when the query block started. Roots only rise, so a stale root lets
through a superset of the candidates; ``heap_offer`` re-checks each against the
current root, and the heaps end as they would with fresh roots (their order is
total: score, then row).
"""
from __future__ import annotations

from nsl.compiler.jit.knn_isa import Isa
from nsl.compiler.jit.knn_ir import row_scalars
from nsl.compiler.jit.knn_ir_topk import score

# Rows per block. Measured on Zen 3 (avx2mask, batches of 64, in cache), cycles
# a pair at d = 128 / 384: 4 rows 6.5 / 17.6, 6 rows 6.0 / 17.2, 8 rows 6.3 /
# 18.3 (more accumulators than AVX2's 16 registers hold comfortably).
LANES_ROWS = 6
# Rows up to this many bytes have their group loop fully unrolled; longer rows
# loop over 32-byte chunks (8 groups), as knn_ir does.
UNROLL_BYTES = 128
CHUNK_GROUPS = 8


def lanes_function(isa: Isa, name: str, stride: int, with_bias: bool) -> str:
    """IR text of one lanes kernel (see the module docstring)."""
    if not isa.lanes:
        raise ValueError(f"the {isa.name} variant has no lanes kernel")
    if stride % (4 * CHUNK_GROUPS):
        raise ValueError(f"stride {stride} is not a multiple of {4 * CHUNK_GROUPS}")
    out: list[str] = []
    out.append(f"define void @{name}(ptr noalias %rows, ptr noalias %row_scale, ptr noalias %row_bias, "
               "i64 %r0, i64 %r1, ptr noalias %queries, ptr noalias %lane_qscale, "
               "ptr noalias %lane_qbias, i64 %nq, i64 %k, ptr noalias %heap_scores, "
               "ptr noalias %heap_ids) nounwind {")
    out.append("entry:")
    out += ["%span = sub i64 %r1, %r0", f"%blocks = sdiv i64 %span, {LANES_ROWS}",
            f"%whole_rows = mul i64 %blocks, {LANES_ROWS}", "%r_main = add i64 %r0, %whole_rows",
            "br label %main_head"]
    _row_loop(out, isa, stride, LANES_ROWS, "main", "%r0", "entry", "%r_main", "tail_head", with_bias)
    _row_loop(out, isa, stride, 1, "tail", "%r_main", "main_head", "%r1", "exit", with_bias)
    out += ["exit:", "ret void", "}"]
    return "\n".join(out) + "\n"


def declarations(isa: Isa) -> str:
    """Intrinsics the lanes kernels use beyond the ISA's own."""
    return f"declare i{isa.lanes} @llvm.cttz.i{isa.lanes}(i{isa.lanes}, i1)" if isa.lanes else ""


def _row_loop(out, isa, stride, rb, tag, start, pred, end, exit_label, with_bias):
    """for r in [start, end) step rb: for each query block: dots, score, offer."""
    ql = isa.lanes
    fvec, ivec = f"<{ql} x float>", f"<{ql} x i32>"
    out += [f"{tag}_head:",
            f"%{tag}_r = phi i64 [{start}, %{pred}], [%{tag}_r_next, %{tag}_q_exit]",
            f"%{tag}_more = icmp slt i64 %{tag}_r, {end}",
            f"br i1 %{tag}_more, label %{tag}_rows, label %{exit_label}",
            f"{tag}_rows:"]
    out += row_scalars(stride, rb, tag, with_bias)
    for b in range(rb):
        for what in ("rs", "rb"):  # splat over the query lanes: %{tag}_rsv{b}, %{tag}_rbv{b}
            out += [f"%{tag}_{what}1_{b} = insertelement {fvec} poison, float %{tag}_{what}{b}, i32 0",
                    f"%{tag}_{what}v{b} = shufflevector {fvec} %{tag}_{what}1_{b}, {fvec} poison, "
                    f"<{ql} x i32> zeroinitializer"]
    out += [f"br label %{tag}_q_head", f"{tag}_q_head:",
            f"%{tag}_j = phi i64 [0, %{tag}_rows], [%{tag}_j_next, %{tag}_q_latch]",
            f"%{tag}_qmore = icmp slt i64 %{tag}_j, %nq",
            f"br i1 %{tag}_qmore, label %{tag}_q_body, label %{tag}_q_exit",
            f"{tag}_q_body:"]
    block_bytes = stride // 4 * isa.lanes_group_bytes
    q = f"%{tag}_q"
    out += [f"{q}_jb = sdiv i64 %{tag}_j, {ql}",
            f"{q}_off = mul i64 {q}_jb, {block_bytes}",
            f"{q}_base = getelementptr i8, ptr %queries, i64 {q}_off",
            f"{q}_sp = getelementptr float, ptr %lane_qscale, i64 %{tag}_j",
            f"{q}_scale = load {fvec}, ptr {q}_sp, align 4",
            f"{q}_bp = getelementptr i32, ptr %lane_qbias, i64 %{tag}_j",
            f"{q}_bias = load {ivec}, ptr {q}_bp, align 4",
            f"{q}_negbias = sub {ivec} zeroinitializer, {q}_bias"]
    roots = "poison"
    for a in range(ql):
        out += [f"{q}_j{a} = add i64 %{tag}_j, {a}",
                f"{q}_h{a} = mul i64 {q}_j{a}, %k",
                f"{q}_hs{a} = getelementptr float, ptr %heap_scores, i64 {q}_h{a}",
                f"{q}_root{a} = load float, ptr {q}_hs{a}",
                f"{q}_roots{a} = insertelement {fvec} {roots}, float {q}_root{a}, i32 {a}"]
        roots = f"{q}_roots{a}"
    accs = _dots(out, isa, stride, rb, tag)
    bits = []
    for b in range(rb):
        s = f"{tag}_s{b}"
        out += [*score(s, ql, accs[b], f"%{tag}_rsv{b}", f"{q}_scale", f"%{tag}_rbv{b}"),
                f"%{s}_cand = fcmp oge {fvec} %{s}, {roots}",
                f"%{s}_bits = bitcast <{ql} x i1> %{s}_cand to i{ql}"]
        bits.append(f"%{s}_bits")
    any_bits = bits[0]
    for b in range(1, rb):
        out.append(f"%{tag}_any{b} = or i{ql} {any_bits}, {bits[b]}")
        any_bits = f"%{tag}_any{b}"
    out += [f"%{tag}_offers = icmp ne i{ql} {any_bits}, 0",
            f"br i1 %{tag}_offers, label %{tag}_o0_head, label %{tag}_q_latch"]
    for b in range(rb):
        _offer_lanes(out, isa, tag, b, f"%{tag}_s{b}", bits[b],
                     f"{tag}_o{b - 1}_head" if b else f"{tag}_q_body_end",
                     f"{tag}_o{b + 1}_head" if b + 1 < rb else f"{tag}_q_latch")
    out += [f"{tag}_q_latch:", f"%{tag}_j_next = add i64 %{tag}_j, {ql}", f"br label %{tag}_q_head",
            f"{tag}_q_exit:", f"%{tag}_r_next = add i64 %{tag}_r, {rb}", f"br label %{tag}_head"]


def _offer_lanes(out, isa, tag, b, scores, bits, pred, then):
    """Offer row b's score to the heap of each query whose bit is set, lowest lane first."""
    ql, o = isa.lanes, f"%{tag}_o{b}"
    out += [f"{tag}_o{b}_head:",
            f"{o}_bits = phi i{ql} [{bits}, %{pred}], [{o}_rest, %{tag}_o{b}_body]",
            f"{o}_more = icmp ne i{ql} {o}_bits, 0",
            f"br i1 {o}_more, label %{tag}_o{b}_body, label %{then}",
            f"{tag}_o{b}_body:",
            f"{o}_lane = call i{ql} @llvm.cttz.i{ql}(i{ql} {o}_bits, i1 true)",
            f"{o}_s = extractelement <{ql} x float> {scores}, i{ql} {o}_lane",
            f"{o}_a = zext i{ql} {o}_lane to i64",
            f"{o}_ja = add i64 %{tag}_j, {o}_a",
            f"{o}_h = mul i64 {o}_ja, %k",
            f"{o}_hs = getelementptr float, ptr %heap_scores, i64 {o}_h",
            f"{o}_hi = getelementptr i64, ptr %heap_ids, i64 {o}_h",
            f"call void @heap_offer(ptr {o}_hs, ptr {o}_hi, i64 %k, float {o}_s, i64 %{tag}_i{b})",
            f"{o}_m1 = sub i{ql} {o}_bits, 1",
            f"{o}_rest = and i{ql} {o}_bits, {o}_m1",
            f"br label %{tag}_o{b}_head"]


def _dots(out, isa, stride, rb, tag) -> list[str]:
    """The rb rows' accumulators against the query block at %{tag}_q_base; the block
    ends in label %{tag}_q_body_end (the offers' entry)."""
    groups = stride // 4
    # Each accumulator starts at -bias: scoring then skips a subtraction per row
    # (3-7% at d = 128 on Zen 3). i32 addition wraps, so the total is the same.
    start = f"%{tag}_q_negbias"
    if stride <= UNROLL_BYTES:
        accs = [start] * rb
        for g in range(groups):
            accs = _group(out, isa, stride, tag, f"g{g}", rb, accs, str(4 * g), str(g * isa.lanes_group_bytes))
        out += [f"br label %{tag}_q_body_end", f"{tag}_q_body_end:"]
        return accs
    chunks = groups // CHUNK_GROUPS
    vec = isa.lanes_acc_type
    phis = [f"%{tag}_acc{b}" for b in range(rb)]
    body: list[str] = []
    roff, qoff = f"%{tag}_croff", f"%{tag}_cqoff"
    body += [f"{roff} = mul i64 %{tag}_c, {4 * CHUNK_GROUPS}",
             f"{qoff} = mul i64 %{tag}_c, {CHUNK_GROUPS * isa.lanes_group_bytes}"]
    accs = phis
    for g in range(CHUNK_GROUPS):
        rg, qg = f"%{tag}_cr{g}", f"%{tag}_cq{g}"
        body += [f"{rg} = add i64 {roff}, {4 * g}", f"{qg} = add i64 {qoff}, {g * isa.lanes_group_bytes}"]
        accs = _group(body, isa, stride, tag, f"c{g}", rb, accs, rg, qg)
    new = accs
    out += [f"br label %{tag}_c_body", f"{tag}_c_body:",
            f"%{tag}_c = phi i64 [0, %{tag}_q_body], [%{tag}_c_next, %{tag}_c_body]"]
    out += [f"{phis[b]} = phi {vec} [{start}, %{tag}_q_body], [{new[b]}, %{tag}_c_body]"
            for b in range(rb)]
    out += body
    out += [f"%{tag}_c_next = add i64 %{tag}_c, 1",
            f"%{tag}_c_more = icmp slt i64 %{tag}_c_next, {chunks}",
            f"br i1 %{tag}_c_more, label %{tag}_c_body, label %{tag}_q_body_end",
            f"{tag}_q_body_end:"]
    return new


def _group(out, isa, stride, tag, gname, rb, accs, row_off, query_off) -> list[str]:
    """One 4-byte group of dimensions of each of rb rows into its accumulator."""
    qptr = f"%{tag}_{gname}_qp"
    out.append(f"{qptr} = getelementptr i8, ptr %{tag}_q_base, i64 {query_off}")
    query = isa.lanes_query(out, f"{tag}_{gname}", qptr)
    new = []
    for b in range(rb):
        n = f"{tag}_{gname}_{b}"
        out += [f"%{n}_off = add i64 {row_off}, {b * stride}",
                f"%{n}_ptr = getelementptr i8, ptr %{tag}_row0, i64 %{n}_off",
                f"%{n}_w = load i32, ptr %{n}_ptr, align 1"]
        out += isa.lanes_step(n, accs[b], f"%{n}_w", query)
        new.append(f"%{n}")
    return new
