"""Bit-vector semantics of single instructions, with poison and UB (z3).

Each rule maps operand terms ``(value, poison)`` to ``(value, poison, ub)``.
The rules follow the LLVM LangRef as Alive2 reads it: poison propagates
through every arithmetic and bitwise operation; a poison or zero divisor is
UB; ``sdiv``/``srem`` overflow is UB, including when the dividend is poison
(poison may be INT_MIN). Wide flags (nsw, nuw, exact, disjoint, nneg,
samesign) add poison conditions.
"""
from __future__ import annotations

import z3

from .ir_model import Inst, Range

FALSE = z3.BoolVal(False)


def in_range(value, rng: Range, width: int):
    """``value`` lies in the half-open wrapping interval [lo, hi)."""
    lo = z3.BitVecVal(rng.lo, width)
    return z3.ULT(value - lo, z3.BitVecVal((rng.hi - rng.lo) % (1 << width), width))


def _int_min(width):
    return z3.BitVecVal(1 << (width - 1), width)


def _any(*terms):
    terms = [t for t in terms if not z3.is_false(t)]
    if not terms:
        return FALSE
    return terms[0] if len(terms) == 1 else z3.Or(*terms)


def binary(inst: Inst, a, pa, b, pb):
    """add … xor: the result, its poison condition and its UB condition."""
    op, flags, w = inst.opcode, inst.flags, inst.width
    poison, ub = [pa, pb], []
    zero = z3.BitVecVal(0, w)
    if op == "add":
        value = a + b
        if "nsw" in flags:
            poison.append(z3.Not(z3.And(z3.BVAddNoOverflow(a, b, True), z3.BVAddNoUnderflow(a, b))))
        if "nuw" in flags:
            poison.append(z3.Not(z3.BVAddNoOverflow(a, b, False)))
    elif op == "sub":
        value = a - b
        if "nsw" in flags:
            poison.append(z3.Not(z3.And(z3.BVSubNoOverflow(a, b), z3.BVSubNoUnderflow(a, b, True))))
        if "nuw" in flags:
            poison.append(z3.ULT(a, b))
    elif op == "mul":
        value = a * b
        if "nsw" in flags:
            poison.append(z3.Not(z3.And(z3.BVMulNoOverflow(a, b, True), z3.BVMulNoUnderflow(a, b))))
        if "nuw" in flags:
            poison.append(z3.Not(z3.BVMulNoOverflow(a, b, False)))
    elif op in ("udiv", "urem"):
        ub, poison = [pb, b == zero], [pa]
        value = z3.UDiv(a, b) if op == "udiv" else z3.URem(a, b)
        if op == "udiv" and "exact" in flags:
            poison.append(z3.URem(a, b) != zero)
    elif op in ("sdiv", "srem"):
        minus_one = z3.BitVecVal(-1, w)
        ub = [pb, b == zero, z3.And(z3.Or(pa, a == _int_min(w)), b == minus_one)]
        value = a / b if op == "sdiv" else z3.SRem(a, b)
        poison = [pa]  # a poison divisor is UB, not poison
        if op == "sdiv" and "exact" in flags:
            poison.append(z3.SRem(a, b) != zero)
    elif op in ("shl", "lshr", "ashr"):
        poison.append(z3.UGE(b, z3.BitVecVal(w, w)))
        if op == "shl":
            value = a << b
            if "nuw" in flags:
                poison.append(z3.LShR(value, b) != a)
            if "nsw" in flags:
                poison.append((value >> b) != a)
        else:
            value = z3.LShR(a, b) if op == "lshr" else a >> b
            if "exact" in flags:
                poison.append((value << b) != a)
    elif op == "and":
        value = a & b
    elif op == "or":
        value = a | b
        if "disjoint" in flags:
            poison.append((a & b) != zero)
    elif op == "xor":
        value = a ^ b
    else:  # pragma: no cover - the lifter only produces the ops above
        raise ValueError(op)
    return value, _any(*poison), _any(*ub)


_PREDICATES = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "ugt": z3.UGT, "uge": z3.UGE, "ult": z3.ULT, "ule": z3.ULE,
    "sgt": lambda a, b: a > b, "sge": lambda a, b: a >= b,
    "slt": lambda a, b: a < b, "sle": lambda a, b: a <= b,
}


def icmp(inst: Inst, a, pa, b, pb):
    width = a.size()
    cond = _PREDICATES[inst.predicate](a, b)
    poison = [pa, pb]
    if "samesign" in inst.flags:
        poison.append(z3.Extract(width - 1, width - 1, a) != z3.Extract(width - 1, width - 1, b))
    return bool_to_bv(cond), _any(*poison), FALSE


def bool_to_bv(cond):
    return z3.If(cond, z3.BitVecVal(1, 1), z3.BitVecVal(0, 1))


def cast(inst: Inst, a, pa):
    src_w, dst_w = a.size(), inst.width
    poison = [pa]
    if inst.opcode == "zext":
        value = z3.ZeroExt(dst_w - src_w, a)
        if "nneg" in inst.flags:
            poison.append(a < 0)
    elif inst.opcode == "sext":
        value = z3.SignExt(dst_w - src_w, a)
    else:
        value = z3.Extract(dst_w - 1, 0, a)
        if "nuw" in inst.flags:
            poison.append(z3.ZeroExt(src_w - dst_w, value) != a)
        if "nsw" in inst.flags:
            poison.append(z3.SignExt(src_w - dst_w, value) != a)
    return value, _any(*poison), FALSE


def intrinsic(inst: Inst, args):
    """Intrinsic calls; ``args`` is a list of (value, poison)."""
    op, w = inst.opcode, inst.width
    values = [v for v, _ in args]
    poison = [p for _, p in args]
    ub = []
    if op == "assume":
        c = values[0]
        return None, FALSE, _any(poison[0], c == z3.BitVecVal(0, 1))
    a = values[0]
    b = values[1] if len(values) > 1 else None
    if op == "umin":
        value = z3.If(z3.ULE(a, b), a, b)
    elif op == "umax":
        value = z3.If(z3.UGE(a, b), a, b)
    elif op == "smin":
        value = z3.If(a <= b, a, b)
    elif op == "smax":
        value = z3.If(a >= b, a, b)
    elif op == "abs":
        value = z3.If(a < 0, -a, a)
        poison = [poison[0], z3.And(b == z3.BitVecVal(1, 1), a == _int_min(w))]
    elif op == "ctpop":
        value = z3.BitVecVal(0, w)
        for i in range(w):
            value = value + z3.ZeroExt(w - 1, z3.Extract(i, i, a))
    elif op in ("ctlz", "cttz"):
        value = z3.BitVecVal(w, w)
        order = range(w) if op == "ctlz" else range(w - 1, -1, -1)
        for i in order:  # the last matching bit wins, so scan from the far end
            value = z3.If(z3.Extract(i, i, a) == 1, z3.BitVecVal(w - 1 - i if op == "ctlz" else i, w), value)
        poison = [poison[0], z3.And(b == z3.BitVecVal(1, 1), a == z3.BitVecVal(0, w))]
    elif op == "bswap":
        value = z3.Concat(*[z3.Extract(8 * i + 7, 8 * i, a) for i in range(w // 8)])
    elif op == "bitreverse":
        value = a if w == 1 else z3.Concat(*[z3.Extract(i, i, a) for i in range(w)])
    elif op in ("fshl", "fshr"):
        c = values[2]
        amount = z3.ZeroExt(w, z3.URem(c, z3.BitVecVal(w, w)))
        joined = z3.Concat(a, b)
        if op == "fshl":
            value = z3.Extract(2 * w - 1, w, joined << amount)
        else:
            value = z3.Extract(w - 1, 0, z3.LShR(joined, amount))
    elif op in ("uadd.sat", "usub.sat"):
        if op == "uadd.sat":
            value = z3.If(z3.BVAddNoOverflow(a, b, False), a + b, z3.BitVecVal(-1, w))
        else:
            value = z3.If(z3.ULT(a, b), z3.BitVecVal(0, w), a - b)
    elif op in ("sadd.sat", "ssub.sat"):
        wide = z3.SignExt(1, a) + z3.SignExt(1, b) if op == "sadd.sat" else z3.SignExt(1, a) - z3.SignExt(1, b)
        hi = z3.BitVecVal((1 << (w - 1)) - 1, w + 1)
        lo = z3.SignExt(1, _int_min(w))
        value = z3.Extract(w - 1, 0, z3.If(wide > hi, hi, z3.If(wide < lo, lo, wide)))
    else:  # pragma: no cover
        raise ValueError(op)
    return value, _any(*poison), _any(*ub)
