"""Which variables of the binding table an IR operator reads and binds."""
from __future__ import annotations

from nsl.compiler import ir


def expr_cols(e) -> set[str]:
    """Variables an expression reads (with an explicit stack: an expression nests as deep
    as it is long)."""
    cols, stack = set(), [e]
    while stack:
        e = stack.pop()
        if isinstance(e, ir.ColRef):
            cols.add(e.name)
        elif isinstance(e, ir.BinExpr):
            stack += (e.left, e.right)
        elif isinstance(e, ir.UnExpr):
            stack.append(e.operand)
    return cols


def op_reads(op) -> set[str]:
    """Variables that must be bound before ``op`` runs (a join's keys included)."""
    if isinstance(op, ir.AntiJoin):
        return {a.name for a in op.args if isinstance(a, ir.ColRef)}
    if isinstance(op, ir.Filter):
        return expr_cols(op.cond)
    if isinstance(op, ir.Check):
        return expr_cols(op.expr)
    if isinstance(op, ir.Map):
        return expr_cols(op.expr)
    if isinstance(op, ir.Aggregate):
        return set(op.keys)
    if isinstance(op, ir.Neural):
        return set(op.inputs)
    if isinstance(op, ir.Knn):
        return {op.vector} | expr_cols(op.k)
    if isinstance(op, ir.Insert):
        return set().union(*(expr_cols(e) for e in op.exprs)) if op.exprs else set()
    return set()


def op_binds(op) -> set[str]:
    """Variables ``op`` adds to the table (a join's argument variables, bound or new)."""
    if isinstance(op, ir.Join):
        return {a.name for a in op.args if isinstance(a, ir.ColRef)}
    if isinstance(op, ir.Map):
        return {op.var}
    if isinstance(op, ir.Aggregate):
        return set(op.results)
    if isinstance(op, ir.Neural):
        return {op.output}
    if isinstance(op, ir.Knn):
        return {op.id, op.score}
    return set()
