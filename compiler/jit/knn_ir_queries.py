"""LLVM IR text for preparing a batch of queries for the knn scan kernels.

A single query's scan takes only tens of microseconds when the rows are in
cache, and numpy spends one to three microseconds a call on small arrays, so
the per-query work before a scan is done here, natively, in three functions of
each scan library (all pointers to C-contiguous arrays):

``void knn_prepare(ptr queries, ptr dim_scale, i64 n, i64 dim, float factor,
                   ptr signed, ptr qscale, ptr encoded, ptr qbias)``
    Quantizes ``n`` float32 queries ``[n, dim]`` exactly as
    ``nsl.runtime.retrieval.quantization.Quantizer.quantize_queries`` does
    (``dim_scale`` may be NULL; the same float32 operations in the same order,
    so the codes are identical), writes the int8 codes ``[n, STRIDE]`` (zero
    past ``dim``) and the scales times ``factor`` (2 for ``l2``), then encodes
    them as ``knn_encode`` does.
``void knn_encode(ptr signed, i64 n, ptr encoded, ptr qbias)``
    The ISA's query encoding and per-query bias, exactly as
    :meth:`nsl.compiler.jit.knn_isa.Isa.encode_queries` computes them (for the
    ``int8`` encoding the kernels read ``signed`` itself: only the bias).
``void knn_spread(ptr qscale, ptr qbias, i64 j0, i64 count, i64 qb, i64 rb,
                  ptr lane_qscale, ptr lane_qbias)``
    The per-query constants of queries ``j0 .. j0 + count`` spread over the
    lanes of (QB, RB) register blocks: lane ``P`` of block ``g`` gets query
    ``j0 + g·QB + P // RB`` (the layout the scan kernels load).

The loops are scalar: a 128-dimension query is a few hundred instructions.
"""
from __future__ import annotations

from nsl.compiler.jit.ir_text import counted_loop
from nsl.compiler.jit.knn_isa import Isa

PREPARE_ARGTYPES = ("p", "p", "i64", "i64", "float", "p", "p", "p", "p")
ENCODE_ARGTYPES = ("p", "i64", "p", "p")
SPREAD_ARGTYPES = ("p", "p", "i64", "i64", "i64", "i64", "p", "p")

QMAX = "1.270000e+02"
TINY = "0x36A0000000000000"  # the smallest positive float32, 2^-149, as LLVM writes floats


def queries_module(isa: Isa, stride: int) -> str:
    """The three functions, for queries of ``stride`` bytes encoded for ``isa``."""
    return "\n".join([
        "declare float @llvm.rint.f32(float)",
        "declare float @llvm.fabs.f32(float)",
        _encode(isa, stride), _prepare(stride), SPREAD])


def _encode(isa: Isa, stride: int) -> str:
    encoding = isa.query_encoding
    if encoding == "sign_mask":
        # chunk c, lane l: mask byte (0x80, or 0x7F for q < 0) at 64c + l, |q| at 64c + 32 + l
        store = """  %chunk = lshr i64 %i, 5
  %lane = and i64 %i, 31
  %cbase = shl i64 %chunk, 6
  %mpos0 = add i64 %cbase, %lane
  %mpos = add i64 %ebase, %mpos0
  %apos = add i64 %mpos, 32
  %neg = icmp slt i8 %q, 0
  %maskb = select i1 %neg, i8 127, i8 -128
  %negq = sub i8 0, %q
  %absq = select i1 %neg, i8 %negq, i8 %q
  %pm = getelementptr i8, ptr %encoded, i64 %mpos
  store i8 %maskb, ptr %pm
  %pa = getelementptr i8, ptr %encoded, i64 %apos
  store i8 %absq, ptr %pa
  %part = select i1 %neg, i32 %q32, i32 0"""
        ebase = f"mul i64 %j, {2 * stride}"
    elif encoding == "int16":
        # avx2u reads each 32-byte chunk's middle quarters swapped (query_permutation)
        swap = isa.query_permutation(stride) is not None
        store = ""
        if swap:
            store = """  %quarter0 = lshr i64 %i, 3
  %quarter = and i64 %quarter0, 3
  %is1 = icmp eq i64 %quarter, 1
  %is2 = icmp eq i64 %quarter, 2
  %up = select i1 %is1, i64 8, i64 0
  %shift = select i1 %is2, i64 -8, i64 %up
  %col = add i64 %i, %shift
"""
        col = "%col" if swap else "%i"
        store += f"""  %wpos = add i64 %ebase, {col}
  %wide = sext i8 %q to i16
  %pw = getelementptr i16, ptr %encoded, i64 %wpos
  store i16 %wide, ptr %pw
  %part = shl i32 %q32, 7"""
        ebase = f"mul i64 %j, {stride}"
    elif encoding == "int8":
        store = "  %part = shl i32 %q32, 7"  # the kernels read the signed queries themselves
        ebase = None
    else:
        raise ValueError(f"unknown query encoding {encoding!r}")
    ebase_line = "" if ebase is None else f"  %ebase = {ebase}\n"
    return f"""
define void @knn_encode(ptr noalias %signed, i64 %n, ptr noalias %encoded, ptr noalias %qbias) nounwind {{
entry:
  br label %query
{counted_loop("query", "j", "0", "entry", "query_done", "%n", "q_body", "exit")}q_body:
  %sbase = mul i64 %j, {stride}
{ebase_line}  br label %byte
{counted_loop("byte", "i", "0", "q_body", "b_body", stride, "b_body", "query_done",
              ("%acc = phi i32 [0, %q_body], [%acc_next, %b_body]",))}b_body:
  %spos = add i64 %sbase, %i
  %ps = getelementptr i8, ptr %signed, i64 %spos
  %q = load i8, ptr %ps
  %q32 = sext i8 %q to i32
{store}
  %acc_next = add i32 %acc, %part
  %i_next = add i64 %i, 1
  br label %byte
query_done:
  %pb = getelementptr i32, ptr %qbias, i64 %j
  store i32 %acc, ptr %pb
  %j_next = add i64 %j, 1
  br label %query
exit:
  ret void
}}
"""


def _prepare(stride: int) -> str:
    return f"""
define void @knn_prepare(ptr noalias %queries, ptr noalias %dim_scale, i64 %n, i64 %dim, float %factor,
                         ptr noalias %signed, ptr noalias %qscale, ptr noalias %encoded,
                         ptr noalias %qbias) nounwind {{
entry:
  %scaled_dims = icmp ne ptr %dim_scale, null
  br label %query
{counted_loop("query", "j", "0", "entry", "pad_done", "%n", "q_body", "encode")}q_body:
  %fbase = mul i64 %j, %dim
  %sbase = mul i64 %j, {stride}
  br label %max
  ; the largest magnitude (0 for an empty or all-zero query)
{counted_loop("max", "i", "0", "q_body", "max_body", "%dim", "max_body", "scale",
              ("%m = phi float [0.0, %q_body], [%m_next, %max_body]",))}max_body:
  %v = call float @query_value(ptr %queries, ptr %dim_scale, i1 %scaled_dims, i64 %fbase, i64 %i)
  %a = call float @llvm.fabs.f32(float %v)
  %bigger = fcmp ogt float %a, %m
  %m_next = select i1 %bigger, float %a, float %m
  %i_next = add i64 %i, 1
  br label %max
scale:
  ; max|q| / 127, at least the smallest float32, and 1 for an all-zero query
  %s0 = fdiv float %m, {QMAX}
  %tiny = fcmp olt float %s0, {TINY}
  %s1 = select i1 %tiny, float {TINY}, float %s0
  %zero = fcmp oeq float %m, 0.0
  %s = select i1 %zero, float 1.0, float %s1
  %out_scale = fmul float %s, %factor
  %ps = getelementptr float, ptr %qscale, i64 %j
  store float %out_scale, ptr %ps
  br label %code
{counted_loop("code", "c", "0", "scale", "code_body", "%dim", "code_body", "pad")}code_body:
  %w = call float @query_value(ptr %queries, ptr %dim_scale, i1 %scaled_dims, i64 %fbase, i64 %c)
  %x = fdiv float %w, %s
  %r = call float @llvm.rint.f32(float %x)
  %high = fcmp ogt float %r, {QMAX}
  %r1 = select i1 %high, float {QMAX}, float %r
  %low = fcmp olt float %r1, -{QMAX}
  %r2 = select i1 %low, float -{QMAX}, float %r1
  %code8 = fptosi float %r2 to i8
  %cpos = add i64 %sbase, %c
  %pc = getelementptr i8, ptr %signed, i64 %cpos
  store i8 %code8, ptr %pc
  %c_next = add i64 %c, 1
  br label %code
{counted_loop("pad", "z", "%dim", "code", "pad_body", stride, "pad_body", "pad_done")}pad_body:
  %zpos = add i64 %sbase, %z
  %pz = getelementptr i8, ptr %signed, i64 %zpos
  store i8 0, ptr %pz
  %z_next = add i64 %z, 1
  br label %pad
pad_done:
  %j_next = add i64 %j, 1
  br label %query
encode:
  call void @knn_encode(ptr %signed, i64 %n, ptr %encoded, ptr %qbias)
  ret void
}}

; query value i (times its dimension's scale, when there are dimension scales)
define internal float @query_value(ptr %queries, ptr %dim_scale, i1 %scaled_dims, i64 %base, i64 %i) alwaysinline {{
entry:
  %pos = add i64 %base, %i
  %pq = getelementptr float, ptr %queries, i64 %pos
  %q = load float, ptr %pq
  br i1 %scaled_dims, label %scaled, label %done
scaled:
  %pd = getelementptr float, ptr %dim_scale, i64 %i
  %d = load float, ptr %pd
  %qd = fmul float %q, %d
  br label %done
done:
  %v = phi float [%q, %entry], [%qd, %scaled]
  ret float %v
}}
"""


SPREAD = f"""
define void @knn_spread(ptr noalias %qscale, ptr noalias %qbias, i64 %j0, i64 %count, i64 %qb, i64 %rb,
                        ptr noalias %lane_qscale, ptr noalias %lane_qbias) nounwind {{
entry:
  %pairs = mul i64 %qb, %rb
  %lanes = mul i64 %count, %rb
  br label %lane
{counted_loop("lane", "l", "0", "entry", "body", "%lanes", "body", "exit")}body:
  ; lane l is pair P = l mod (QB·RB) of block g = l div (QB·RB): query j0 + g·QB + P div RB
  %g = udiv i64 %l, %pairs
  %p = urem i64 %l, %pairs
  %a = udiv i64 %p, %rb
  %gq = mul i64 %g, %qb
  %jq = add i64 %gq, %a
  %j = add i64 %j0, %jq
  %ps = getelementptr float, ptr %qscale, i64 %j
  %s = load float, ptr %ps
  %pb = getelementptr i32, ptr %qbias, i64 %j
  %b = load i32, ptr %pb
  %ls = getelementptr float, ptr %lane_qscale, i64 %l
  store float %s, ptr %ls
  %lb = getelementptr i32, ptr %lane_qbias, i64 %l
  store i32 %b, ptr %lb
  %l_next = add i64 %l, 1
  br label %lane
exit:
  ret void
}}
"""
