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
        return values if values.dtype == torch.float64 else values.to(torch.float64)
    if ty.startswith("tensor"):
        return values
    return values if values.dtype == torch.int64 else values.to(torch.int64)


def evaluate(expr, table, interner):
    """``(values, valid)`` of ``expr`` for every row of ``table``."""
    value, ok = _eval(expr, table, interner)
    if not isinstance(value, torch.Tensor):
        value = _full(value, expr.type, table)
    return value, ok


# Inside ``_eval`` a literal stays a Python scalar: ``n < 2000`` and ``n + 1`` are one torch
# call each instead of two (a column of 2000s first); ``_full`` makes it a column where one
# is needed. Scalars are exact here: int literals are int64 values, so int64 arithmetic with
# them wraps as column arithmetic does; float operands are float64 on both sides.
def _full(value, ty, table):
    dtype = torch.float64 if ty == "float" else torch.int64
    dev = next(iter(table.cols.values())).device if table.cols else None
    return torch.full((table.n,), value, dtype=dtype, device=dev)


_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
_SCALAR_OK = ("add", "sub", "mul")  # arithmetic that takes a Python scalar operand as is


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
        return literal_value(e, interner), None
    if isinstance(e, ir.UnExpr):
        x, ok = _eval(e.operand, table, interner)
        if not isinstance(x, torch.Tensor):
            x = _full(x, e.operand.type, table)
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
        a_col, b_col = isinstance(a, torch.Tensor), isinstance(b, torch.Tensor)
        if not a_col and not b_col:  # not folded: make one side a column
            a, a_col = _full(a, e.left.type, table), True
        if e.op in _CMP:
            if e.left.type == "str" and e.op not in ("eq", "ne"):
                a = a if a_col else _full(a, e.left.type, table)
                b = b if b_col else _full(b, e.right.type, table)
                a, b = interner.ranks(a, b)
            elif e.left.type == "float" or e.right.type == "float":
                a, b = _promote(a, "float"), _promote(b, "float")
            if not a_col:  # scalar on the left: flip the comparison
                return _CMP[_FLIP[e.op]](b, a), ok
            return _CMP[e.op](a, b), ok
        if not (a_col and b_col) and not _scalar_ok(e.op, b if a_col else None, e.type):
            a = a if a_col else _full(a, e.left.type, table)
            b = b if b_col else _full(b, e.right.type, table)
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


def _scalar_ok(op, right_scalar, ty):
    """Whether ``_arith(op)`` may take a Python scalar operand as it is (else: a column)."""
    if op in _SCALAR_OK:
        return True
    # a nonzero divisor needs no validity mask (and -1 not the INT64_MIN guard)
    return op in ("div", "mod") and right_scalar is not None and right_scalar != 0 and (
        ty == "float" or right_scalar != -1)


def _promote(x, ty):
    if not isinstance(x, torch.Tensor):
        return float(x) if ty == "float" else int(x)
    if ty == "float":
        return x if x.dtype == torch.float64 else x.to(torch.float64)
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
    if op in ("div", "mod") and not isinstance(b, torch.Tensor):  # nonzero, not -1 (_scalar_ok)
        if is_float:
            return (a / b if op == "div" else torch.fmod(a, b)), None
        return (torch.div(a, b, rounding_mode="trunc") if op == "div" else torch.fmod(a, b)), None
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
