"""Vectorized evaluation of ``ir.Expr`` over the columns of a binding table.

``evaluate`` returns ``(values, valid)``: one value per row, and a bool mask of
the rows whose evaluation is defined (None: all) — a row that divides by zero
is dropped by the operator that asked. Integers are int64 and wrap; ``div``
truncates toward zero and ``mod`` is its remainder (C semantics); comparisons
give torch.bool; strings are interned ids and are ordered lexicographically
through ``Interner.ranks``.
"""
from __future__ import annotations

import torch

from nsl.compiler import ir

_CMP = {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le,
        "gt": torch.gt, "ge": torch.ge}


def literal_value(lit: ir.Lit, interner):
    """The column representation of a literal: int, float, or an interned string id."""
    if lit.type == "str":
        return interner.intern(lit.value)
    if lit.type == "float":
        return float(lit.value)
    return int(lit.value)  # int and bool (0/1)


def to_column(values: torch.Tensor, ty: str) -> torch.Tensor:
    """Canonical storage dtype for a value of IR type ``ty``."""
    if ty == "float":
        return values.to(torch.float64)
    if ty.startswith("tensor"):
        return values
    return values.to(torch.int64)


def evaluate(expr, table, interner):
    """``(values, valid)`` of ``expr`` for every row of ``table``."""
    return _eval(expr, table, interner)


def _and(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _eval(e, table, interner):
    if isinstance(e, ir.ColRef):
        return table.cols[e.name], None
    if isinstance(e, ir.Lit):
        v = literal_value(e, interner)
        dtype = torch.float64 if e.type == "float" else torch.int64
        dev = next(iter(table.cols.values())).device if table.cols else None
        return torch.full((table.n,), v, dtype=dtype, device=dev), None
    if isinstance(e, ir.UnExpr):
        x, ok = _eval(e.operand, table, interner)
        x = _promote(x, e.type)
        if e.op == "neg":
            return torch.neg(x), ok
        if e.op == "abs":
            return torch.abs(x), ok
        raise ValueError(f"unknown unary operator {e.op!r}")
    if isinstance(e, ir.BinExpr):
        a, ok_a = _eval(e.left, table, interner)
        b, ok_b = _eval(e.right, table, interner)
        ok = _and(ok_a, ok_b)
        if e.op in _CMP:
            if e.left.type == "str" and e.op not in ("eq", "ne"):
                a, b = interner.ranks(a, b)
            elif e.left.type == "float" or e.right.type == "float":
                a, b = a.to(torch.float64), b.to(torch.float64)
            return _CMP[e.op](a, b), ok
        if e.op == "concat":
            return interner.concat(a, b), ok
        if e.type == "str" and e.op in ("min", "max"):
            ra, rb = interner.ranks(a, b)
            pick_a = ra <= rb if e.op == "min" else ra >= rb
            return torch.where(pick_a, a, b), ok
        a, b = _promote(a, e.type), _promote(b, e.type)
        values, defined = _arith(e.op, a, b, e.type == "float")
        return values, _and(ok, defined)
    raise TypeError(f"not an expression: {e!r}")


def _promote(x, ty):
    if ty == "float":
        return x.to(torch.float64)
    if x.dtype == torch.bool:
        return x.to(torch.int64)
    return x


def _arith(op, a, b, is_float):
    if op == "add":
        return a + b, None
    if op == "sub":
        return a - b, None
    if op == "mul":
        return a * b, None
    if op == "min":
        return torch.minimum(a, b), None
    if op == "max":
        return torch.maximum(a, b), None
    if op in ("div", "mod"):
        zero = b == 0
        if is_float:
            safe = torch.where(zero, torch.ones_like(b), b)
            return (a / safe if op == "div" else torch.fmod(a, safe)), ~zero
        # x86 traps on INT64_MIN / -1: divide by 1 instead and negate (wrapping, as C compilers do)
        minus_one = b == -1
        safe = torch.where(zero | minus_one, torch.ones_like(b), b)
        if op == "div":
            q = torch.div(a, safe, rounding_mode="trunc")
            return torch.where(minus_one, torch.neg(a), q), ~zero
        r = torch.fmod(a, safe)
        return torch.where(minus_one, torch.zeros_like(r), r), ~zero
    if op == "pow":
        if is_float:
            return torch.pow(a, b), None
        neg = b < 0
        p = torch.pow(a, torch.where(neg, torch.zeros_like(b), b))
        # a ** -k truncates toward zero: only ±1 survive; 0 ** -k divides by zero
        odd = torch.remainder(b, 2) == 1
        special = torch.where(a == 1, torch.ones_like(a),
                              torch.where(a == -1, torch.where(odd, -torch.ones_like(a),
                                                               torch.ones_like(a)),
                                          torch.zeros_like(a)))
        return torch.where(neg, special, p), ~(neg & (a == 0))
    raise ValueError(f"unknown arithmetic operator {op!r}")
