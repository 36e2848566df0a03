"""Instruction-set variants of the int8 dot-product step of the knn scan.

A database byte is stored *biased* (``u = x + 128``, i.e. ``x ^ 0x80`` as u8):
that is what VNNI's ``vpdpbusd`` (u8 × s8) needs, and every variant reads the
same bytes so one on-disk layout serves all CPUs. Each variant's step sums,
chunk by chunk, products of row bytes with its own encoding of the query
(:meth:`Isa.encode_queries`) whose total differs from the exact dot product
``Σ x[i]·q[i]`` by a per-query constant, the query's *bias*, subtracted before
scoring: ``128·Σq`` for the steps that multiply ``u`` by ``q`` directly.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Isa:
    """How one chunk of ``width`` row bytes is multiplied into an accumulator."""

    name: str
    width: int            # row bytes consumed per step
    query_encoding: str   # how encode_queries lays the query out for the step
    acc_type: str         # LLVM type of one accumulator
    declarations: str     # intrinsics used
    # (queries, rows) register blocks, largest query count first; queries × rows
    # is a multiple of 8 so the scores of a block fill whole 8-lane vectors.
    blocks: tuple[tuple[int, int], ...]
    # Queries across the lanes of one accumulator in the lanes kernel
    # (``knn_ir_lanes``) for batches; 0: this variant has none.
    lanes: int = 0

    def zero(self) -> str:
        return "zeroinitializer"

    def step(self, name, acc: str, row_ptr: str, query_ptr: str, row_cache: dict) -> list[str]:
        """IR lines computing ``%{name} = acc + chunk dot``; ``row_cache`` lets the
        widened row chunk be shared by every query of a register block."""
        return _STEPS[self.name](self, name, acc, row_ptr, query_ptr, row_cache)

    @property
    def query_expansion(self) -> int:
        """Bytes of the query buffer per row byte."""
        return 1 if self.query_encoding == "int8" else 2

    def encode_queries(self, signed):
        """``(buffer, bias)`` for int8 queries ``[B, stride]`` in [-127, 127]:
        the query buffer the steps read (``[B, stride · query_expansion]``) and
        the int32 per-query bias, so that the kernel's ``Σ steps − bias`` is the
        exact dot product with the unbiased rows. The kernels encode natively
        (``knn_ir_queries``); this numpy version is the definition they match."""
        import numpy as np

        n, stride = signed.shape
        if self.query_encoding == "sign_mask":
            # per 32-byte chunk: [mask | |q|], see _avx2_mask_step
            chunks = signed.reshape(n, stride // 32, 32)
            negative = chunks < 0
            mask = np.where(negative, 0x7F, 0x80).astype(np.uint8)
            magnitude = np.abs(chunks.astype(np.int16)).astype(np.uint8)
            buffer = np.concatenate([mask, magnitude], axis=2).reshape(n, 2 * stride)
            bias = np.where(signed < 0, signed.astype(np.int64), 0).sum(axis=1)
            return buffer, bias.astype(np.int32)
        bias = (signed.sum(axis=1, dtype=np.int64) * 128).astype(np.int32)
        if self.query_encoding == "int8":
            return np.ascontiguousarray(signed, np.int8), bias
        widened = signed.astype(np.int16)
        permutation = self.query_permutation(stride)
        if permutation is not None:
            widened = np.ascontiguousarray(widened[:, permutation])
        return widened, bias

    def query_permutation(self, stride: int):
        """Column order of the query buffer (None: natural order)."""
        if self.name != "avx2u":
            return None
        import numpy as np
        chunk = np.concatenate([np.arange(0, 8), np.arange(16, 24), np.arange(8, 16), np.arange(24, 32)])
        return (np.arange(0, stride, 32)[:, None] + chunk[None, :]).ravel()

    @property
    def acc_lanes(self) -> int:
        return int(self.acc_type.split()[0].lstrip("<"))

    @property
    def lanes_block(self) -> tuple[int, int] | None:
        """The lanes kernel's (QB, RB) for spreading query constants: one per lane."""
        return (self.lanes, 1) if self.lanes else None

    @property
    def lanes_acc_type(self) -> str:
        return f"<{self.lanes} x i32>"

    @property
    def lanes_group_bytes(self) -> int:
        """Query bytes a lanes kernel reads per block and 4-byte group of dimensions."""
        return 4 * self.lanes * (2 if self.query_encoding == "sign_mask" else 1)

    def lanes_query(self, out: list, name: str, query_ptr: str):
        """IR loading one group of a lanes-layout query block; returns its values."""
        if self.query_encoding == "sign_mask":
            out += [f"%{name}_mask = load <32 x i8>, ptr {query_ptr}, align 1",
                    f"%{name}_mp = getelementptr i8, ptr {query_ptr}, i64 32",
                    f"%{name}_mag = load <32 x i8>, ptr %{name}_mp, align 1"]
            return (f"%{name}_mask", f"%{name}_mag")
        out.append(f"%{name}_q = load {self.lanes_acc_type}, ptr {query_ptr}, align 1")
        return f"%{name}_q"

    def lanes_step(self, name: str, acc: str, row_word: str, query) -> list[str]:
        """IR for ``%{name}`` = acc + the 4-byte row group ``row_word`` (i32) times
        each lane's query group, the row broadcast to every lane."""
        vec = self.lanes_acc_type
        lines = [f"%{name}_w1 = insertelement {vec} poison, i32 {row_word}, i32 0",
                 f"%{name}_wv = shufflevector {vec} %{name}_w1, {vec} poison, "
                 f"<{self.lanes} x i32> zeroinitializer"]
        if self.query_encoding == "sign_mask":  # as _avx2_mask_step, lane by lane
            mask, magnitude = query
            return lines + [f"%{name}_u = bitcast <8 x i32> %{name}_wv to <32 x i8>",
                            *_mask_dot(name, acc, f"%{name}_u", mask, magnitude)]
        return lines + [_vnni_dot(name, self.lanes, acc, f"%{name}_wv", query)]

    def reduce(self, name: str, acc: str) -> list[str]:
        """IR for ``%{name}`` = the i32 sum of one accumulator's lanes."""
        return [f"%{name} = call i32 @llvm.vector.reduce.add.v{self.acc_lanes}i32({self.acc_type} {acc})"]

    def fold_to_8(self, name: str, acc: str) -> list[str]:
        """IR for ``%{name}``: a ``<8 x i32>`` with the same lane total."""
        if self.acc_lanes == 8:
            return [f"%{name} = add <8 x i32> {acc}, zeroinitializer"]
        lo = ", ".join(f"i32 {i}" for i in range(8))
        hi = ", ".join(f"i32 {i}" for i in range(8, 16))
        return [f"%{name}_lo = shufflevector <16 x i32> {acc}, <16 x i32> poison, <8 x i32> <{lo}>",
                f"%{name}_hi = shufflevector <16 x i32> {acc}, <16 x i32> poison, <8 x i32> <{hi}>",
                f"%{name} = add <8 x i32> %{name}_lo, %{name}_hi"]


def _avx2_step(isa, name, acc, row_ptr, query_ptr, row_cache):
    # zero-extend 16 row bytes to i16 once per block, then vpmaddwd against the
    # query pre-widened to i16: 16 multiply-adds into 8 i32 lanes per instruction.
    lines = []
    if row_ptr not in row_cache:
        raw, wide = f"{name}_rb", f"{name}_rw"
        lines += [f"%{raw} = load <16 x i8>, ptr {row_ptr}, align 1",
                  f"%{wide} = zext <16 x i8> %{raw} to <16 x i16>"]
        row_cache[row_ptr] = f"%{wide}"
    lines += [f"%{name}_q = load <16 x i16>, ptr {query_ptr}, align 2",
              f"%{name}_m = call <8 x i32> @llvm.x86.avx2.pmadd.wd(<16 x i16> {row_cache[row_ptr]}, <16 x i16> %{name}_q)",
              f"%{name} = add <8 x i32> {acc}, %{name}_m"]
    return lines


def _avx2_unpack_step(isa, name, acc, row_ptr, query_ptr, row_cache):
    # 32 row bytes, widened by in-lane unpacks with zero (vpunpck{l,h}bw: two
    # shuffle pipes on Zen 3, where the lane-crossing vpmovzxbw has one). The
    # unpacks take bytes [0..7, 16..23] and [8..15, 24..31]; the query buffer is
    # pre-permuted to match (query_permutation), so no shuffle is spent on it.
    lines = []
    if row_ptr not in row_cache:
        lo = _interleave_with_zero([*range(0, 8), *range(16, 24)])
        hi = _interleave_with_zero([*range(8, 16), *range(24, 32)])
        lines += [f"%{name}_rb = load <32 x i8>, ptr {row_ptr}, align 1",
                  f"%{name}_lo8 = shufflevector <32 x i8> %{name}_rb, <32 x i8> zeroinitializer, {lo}",
                  f"%{name}_hi8 = shufflevector <32 x i8> %{name}_rb, <32 x i8> zeroinitializer, {hi}",
                  f"%{name}_lo = bitcast <32 x i8> %{name}_lo8 to <16 x i16>",
                  f"%{name}_hi = bitcast <32 x i8> %{name}_hi8 to <16 x i16>"]
        row_cache[row_ptr] = (f"%{name}_lo", f"%{name}_hi")
    row_lo, row_hi = row_cache[row_ptr]
    lines += [f"%{name}_qlo = load <16 x i16>, ptr {query_ptr}, align 2",
              f"%{name}_qhp = getelementptr i8, ptr {query_ptr}, i64 32",
              f"%{name}_qhi = load <16 x i16>, ptr %{name}_qhp, align 2",
              f"%{name}_ml = call <8 x i32> @llvm.x86.avx2.pmadd.wd(<16 x i16> {row_lo}, <16 x i16> %{name}_qlo)",
              f"%{name}_mh = call <8 x i32> @llvm.x86.avx2.pmadd.wd(<16 x i16> {row_hi}, <16 x i16> %{name}_qhi)",
              f"%{name}_m = add <8 x i32> %{name}_ml, %{name}_mh",
              f"%{name} = add <8 x i32> {acc}, %{name}_m"]
    return lines


def _avx2_mask_step(isa, name, acc, row_ptr, query_ptr, row_cache):
    # vpmaddubsw multiplies unsigned by signed bytes, at most 2·255·127 per
    # 16-bit lane, which saturates for biased rows against a full int8 query.
    # So the unsigned side is |q| and the query's sign moves onto the row with
    # one XOR: s = u ^ m, m = 0x80 (unbias: s = x) where q >= 0 and 0x7F where
    # q < 0 (s = ~x = -x - 1). Then |q|·s = x·q + q·[q < 0], at most 2·127·128
    # per lane (x = -128 included), and the Σ q·[q < 0] left over is the
    # query's bias. Per (query, row) chunk: a XOR, vpmaddubsw, vpmaddwd by
    # ones to widen into i32, an add; the two multiplies are all that use
    # Zen 3's two multiply pipes (vpsignb would be a third there).
    # Query buffer: per chunk the 32 mask bytes, then the 32 bytes of |q|.
    lines = []
    if row_ptr not in row_cache:
        lines.append(f"%{name}_u = load <32 x i8>, ptr {row_ptr}, align 1")
        row_cache[row_ptr] = f"%{name}_u"
    lines += [f"%{name}_mask = load <32 x i8>, ptr {query_ptr}, align 1",
              f"%{name}_qmp = getelementptr i8, ptr {query_ptr}, i64 32",
              f"%{name}_qm = load <32 x i8>, ptr %{name}_qmp, align 1",
              *_mask_dot(name, acc, row_cache[row_ptr], f"%{name}_mask", f"%{name}_qm")]
    return lines


def _mask_dot(name, acc, row, mask, magnitude) -> list[str]:
    """``%{name}`` = acc + the sign-mask products of 32 biased row bytes ``row``
    with a query's ``mask`` and ``|q|`` bytes (see _avx2_mask_step), widened to i32."""
    ones = ", ".join(["i16 1"] * 16)
    return [f"%{name}_s = xor <32 x i8> {row}, {mask}",
            f"%{name}_p = call <16 x i16> @llvm.x86.avx2.pmadd.ub.sw(<32 x i8> {magnitude}, <32 x i8> %{name}_s)",
            f"%{name}_m = call <8 x i32> @llvm.x86.avx2.pmadd.wd(<16 x i16> %{name}_p, <16 x i16> <{ones}>)",
            f"%{name} = add <8 x i32> {acc}, %{name}_m"]


def _interleave_with_zero(byte_indices) -> str:
    """Mask placing each selected row byte in the low half of an i16 (x86 is
    little endian), zero (element 32 of the second operand) in the high half."""
    lanes = []
    for i in byte_indices:
        lanes += [i, 32]
    return f"<{len(lanes)} x i32> <" + ", ".join(f"i32 {v}" for v in lanes) + ">"


def _vnni_step(isa, name, acc, row_ptr, query_ptr, row_cache):
    # vpdpbusd: 4 u8×s8 products summed into each i32 lane, accumulate in place.
    lanes = isa.width // 4
    vec = f"<{lanes} x i32>"
    lines = []
    if row_ptr not in row_cache:
        lines.append(f"%{name}_r = load {vec}, ptr {row_ptr}, align 1")
        row_cache[row_ptr] = f"%{name}_r"
    lines += [f"%{name}_q = load {vec}, ptr {query_ptr}, align 1",
              _vnni_dot(name, lanes, acc, row_cache[row_ptr], f"%{name}_q")]
    return lines


def _vnni_dot(name, lanes, acc, row, query) -> str:
    """``%{name}`` = acc + per i32 lane the 4 products of u8 ``row`` bytes with s8 ``query`` bytes."""
    vec = f"<{lanes} x i32>"
    return f"%{name} = call {vec} @llvm.x86.avx512.vpdpbusd.{lanes * 32}({vec} {acc}, {vec} {row}, {vec} {query})"


def _generic_step(isa, name, acc, row_ptr, query_ptr, row_cache):
    # Plain vector IR: LLVM picks the best widening multiply on any target.
    lines = []
    if row_ptr not in row_cache:
        lines += [f"%{name}_rb = load <16 x i8>, ptr {row_ptr}, align 1",
                  f"%{name}_rw = zext <16 x i8> %{name}_rb to <16 x i32>"]
        row_cache[row_ptr] = f"%{name}_rw"
    lines += [f"%{name}_qb = load <16 x i16>, ptr {query_ptr}, align 2",
              f"%{name}_qw = sext <16 x i16> %{name}_qb to <16 x i32>",
              f"%{name}_m = mul <16 x i32> {row_cache[row_ptr]}, %{name}_qw",
              f"%{name} = add <16 x i32> {acc}, %{name}_m"]
    return lines


_STEPS = {"avx2": _avx2_step, "avx2u": _avx2_unpack_step, "avx2mask": _avx2_mask_step,
          "vnni512": _vnni_step, "vnni256": _vnni_step, "generic": _generic_step}

ISAS = {
    "vnni512": Isa("vnni512", 64, "int8", "<16 x i32>",
                   "declare <16 x i32> @llvm.x86.avx512.vpdpbusd.512(<16 x i32>, <16 x i32>, <16 x i32>)",
                   ((4, 4), (2, 4), (1, 8)), lanes=16),
    "vnni256": Isa("vnni256", 32, "int8", "<8 x i32>",
                   "declare <8 x i32> @llvm.x86.avx512.vpdpbusd.256(<8 x i32>, <8 x i32>, <8 x i32>)",
                   ((4, 2), (2, 4), (1, 8)), lanes=8),
    "avx2": Isa("avx2", 16, "int16", "<8 x i32>",
                "declare <8 x i32> @llvm.x86.avx2.pmadd.wd(<16 x i16>, <16 x i16>)",
                ((4, 2), (2, 4), (1, 8))),
    # Widening by in-lane unpacks instead of vpmovzxbw: in theory lighter on
    # Zen 3's shuffle pipe, measured 5-15% slower there; kept as an option.
    "avx2u": Isa("avx2u", 32, "int16", "<8 x i32>",
                 "declare <8 x i32> @llvm.x86.avx2.pmadd.wd(<16 x i16>, <16 x i16>)",
                 ((4, 2), (2, 4), (1, 8))),
    # The default on AVX2: 4 vector ops per 32 bytes and (query, row) pair,
    # 2 of them multiplies. Against the vpsignb formulation it replaced (6 ops
    # for one query, 3 on Zen 3's multiply pipes), measured in cache at
    # d = 128: single queries 11.2 -> 8.5 cycles a row, batches of 64
    # 8.4 -> 8.1 cycles a (query, row) pair.
    "avx2mask": Isa("avx2mask", 32, "sign_mask", "<8 x i32>",
                    "declare <8 x i32> @llvm.x86.avx2.pmadd.wd(<16 x i16>, <16 x i16>)\n"
                    "declare <16 x i16> @llvm.x86.avx2.pmadd.ub.sw(<32 x i8>, <32 x i8>)",
                    ((2, 4), (1, 8)), lanes=8),
    "generic": Isa("generic", 16, "int16", "<16 x i32>", "", ((4, 2), (2, 4), (1, 8))),
}


def best_isa(features: frozenset[str]) -> str:
    """The fastest variant the CPU supports (features as LLVM names them)."""
    if {"avx512vnni", "avx512f"} <= features:
        return "vnni512"
    if "avxvnni" in features or {"avx512vnni", "avx512vl"} <= features:
        return "vnni256"
    if "avx2" in features:
        return "avx2mask"
    return "generic"


def supported_isas(features: frozenset[str]) -> list[str]:
    """Every variant this CPU can run (the generic one always)."""
    out = ["generic"]
    if "avx2" in features:
        out += ["avx2", "avx2u", "avx2mask"]
    if "avxvnni" in features or {"avx512vnni", "avx512vl"} <= features:
        out.append("vnni256")
    if {"avx512vnni", "avx512f"} <= features:
        out.append("vnni512")
    return out
