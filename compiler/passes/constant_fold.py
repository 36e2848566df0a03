"""Fold expressions whose operands are all literals (never a division by zero)."""
from __future__ import annotations

from dataclasses import dataclass, replace

from nsl.compiler import ir
from nsl.compiler.passes.rewrite import map_ops, map_rules


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _fold_binary(op: str, a, b, type_: str):
    if op in ("div", "mod") and b == 0:
        return None  # the runtime drops such rows; keep the expression
    if type_ == "int" and op in ("div", "mod"):
        q = _trunc_div(a, b)
        return q if op == "div" else a - q * b
    table = {
        "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b,
        "mod": lambda: a % b, "concat": lambda: a + b, "min": lambda: min(a, b), "max": lambda: max(a, b),
        "eq": lambda: a == b, "ne": lambda: a != b, "lt": lambda: a < b, "le": lambda: a <= b,
        "gt": lambda: a > b, "ge": lambda: a >= b,
    }
    if op == "pow":
        if type_ == "int" and (b < 0 or b > 62):
            return None
        return a ** b
    value = table[op]()
    if type_ == "int" and not -(2 ** 63) <= value < 2 ** 63:
        return None  # wraps at run time; leave it to the runtime's 64-bit arithmetic
    return value


def fold_expr(e):
    if isinstance(e, ir.BinExpr):
        left, right = fold_expr(e.left), fold_expr(e.right)
        if isinstance(left, ir.Lit) and isinstance(right, ir.Lit):
            value = _fold_binary(e.op, left.value, right.value, e.type)
            if value is not None:
                if e.type == "float":
                    value = float(value)
                return ir.Lit(value, e.type)
        return replace(e, left=left, right=right)
    if isinstance(e, ir.UnExpr):
        operand = fold_expr(e.operand)
        if isinstance(operand, ir.Lit):
            value = -operand.value if e.op == "neg" else abs(operand.value)
            if not (e.type == "int" and value == 2 ** 63):  # -(-2**63) wraps at run time
                return ir.Lit(value, e.type)
        return replace(e, operand=operand)
    return e


def _fold_op(op):
    if isinstance(op, ir.Filter):
        cond = fold_expr(op.cond)
        return replace(op, cond=cond)
    if isinstance(op, ir.Map):
        return replace(op, expr=fold_expr(op.expr))
    if isinstance(op, ir.Insert):
        return replace(op, exprs=tuple(fold_expr(e) for e in op.exprs))
    if isinstance(op, ir.Check):
        return replace(op, expr=fold_expr(op.expr))
    if isinstance(op, ir.Aggregate) and op.objective is not None:
        return replace(op, objective=fold_expr(op.objective))
    return op


def _drop_true_filters(ops):
    return [op for op in ops if not (isinstance(op, ir.Filter) and op.cond == ir.Lit(True, "bool"))]


@dataclass(frozen=True)
class ConstantFold:
    name: str = "constant_fold"

    def apply(self, module: ir.Module) -> ir.Module:
        def rule(r, stratum, phase):
            ops = _drop_true_filters(map_ops(r.ops, _fold_op))
            return [replace(r, ops=tuple(ops))]
        return map_rules(module, rule)
