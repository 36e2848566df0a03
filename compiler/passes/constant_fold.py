"""Fold expressions whose operands are all literals, with the run's arithmetic
(``nsl.lang.constant_arith``): what has no one constant value there -- a division by
zero, an int that wraps -- stays for the run."""
from __future__ import annotations

from dataclasses import dataclass, replace

from nsl.compiler import ir
from nsl.compiler.passes.rewrite import map_ops, map_rules
from nsl.lang.constant_arith import binary, in_int64
from nsl.lang.walk import run_recursive

_ARITH = {"add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%", "pow": "**"}
_OTHER = {
    "concat": lambda a, b: a + b, "min": min, "max": max,
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}


def _fold_binary(op: str, a, b, type_: str):
    """The value of ``a OP b`` of type ``type_``, or None to leave the expression to the run."""
    if op in _ARITH:
        if type_ == "float":  # the run computes an int operand as a float
            a, b = float(a), float(b)
        return binary(_ARITH[op], a, b)
    return _OTHER[op](a, b)


def fold_expr(e):
    return run_recursive(_folded(e))


def _folded(e):
    # a generator run by run_recursive: `yield` stands for a recursive call, so that an
    # expression as deep as it is long (`y + 1 + 1 + ...`) needs no deep Python stack
    if isinstance(e, ir.BinExpr):
        left = yield _folded(e.left)
        right = yield _folded(e.right)
        if isinstance(left, ir.Lit) and isinstance(right, ir.Lit):
            value = _fold_binary(e.op, left.value, right.value, e.type)
            if value is not None:
                if e.type == "float":
                    value = float(value)
                return ir.Lit(value, e.type)
        return replace(e, left=left, right=right)
    if isinstance(e, ir.UnExpr):
        operand = yield _folded(e.operand)
        if isinstance(operand, ir.Lit):
            value = -operand.value if e.op == "neg" else abs(operand.value)
            if e.type != "int" or in_int64(value):  # -(-2**63) wraps at run time
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
