"""Small traversals over the AST shared by the checks and the lowering."""
from __future__ import annotations

from typing import Iterator

from nsl.lang import ast as A


def expr_vars(e) -> Iterator[A.Var]:
    """Variables occurring free in an expression (not inside an aggregate's own scope)."""
    if isinstance(e, A.Var):
        yield e
    elif isinstance(e, A.BinOp):
        yield from expr_vars(e.left)
        yield from expr_vars(e.right)
    elif isinstance(e, A.Neg):
        yield from expr_vars(e.operand)
    elif isinstance(e, A.Call):
        for a in e.args:
            yield from expr_vars(a)
    elif isinstance(e, A.Subscript):
        yield from expr_vars(e.base)
        yield from expr_vars(e.index)
    elif isinstance(e, A.ListExpr):
        for a in e.items:
            yield from expr_vars(a)
    elif isinstance(e, A.KwArg):
        yield from expr_vars(e.value)
    elif isinstance(e, A.Aggregate):
        yield from aggregate_free_vars(e)


def aggregate_inner_vars(agg: A.Aggregate) -> set[str]:
    """Every variable name mentioned anywhere inside an aggregate."""
    names = {v.name for v in agg.vars}
    for conj in agg.body.alternatives:
        for lit in conj:
            names |= {v.name for v in literal_vars(lit)}
    if agg.consequent is not None:
        for conj in agg.consequent.alternatives:
            for lit in conj:
                names |= {v.name for v in literal_vars(lit)}
    if agg.objective is not None:
        names |= {v.name for v in expr_vars(agg.objective)}
    return names


def aggregate_free_vars(agg: A.Aggregate) -> Iterator[A.Var]:
    """Variables an aggregate mentions: the outer scope decides which are keys."""
    for conj in agg.body.alternatives:
        for lit in conj:
            yield from literal_vars(lit)
    if agg.consequent is not None:
        for conj in agg.consequent.alternatives:
            for lit in conj:
                yield from literal_vars(lit)
    if agg.objective is not None:
        yield from expr_vars(agg.objective)


# The built-in relation whose first argument names an index, not a variable.
INDEX_ARG_RELATIONS = {"knn": 5}


def literal_vars(lit) -> Iterator[A.Var]:
    if isinstance(lit, A.Atom):
        names_index = INDEX_ARG_RELATIONS.get(lit.rel) == len(lit.args)
        for a in lit.args[1:] if names_index else lit.args:
            yield from expr_vars(a)
    elif isinstance(lit, A.Negation):
        yield from literal_vars(lit.atom)
    elif isinstance(lit, A.Comparison):
        yield from expr_vars(lit.left)
        yield from expr_vars(lit.right)
    elif isinstance(lit, A.Aggregate):
        yield from aggregate_free_vars(lit)
    elif isinstance(lit, A.Call):
        yield from expr_vars(lit)


def atoms_in_literal(lit, negated: bool = False) -> Iterator[tuple[A.Atom, bool]]:
    """Every relation atom inside a literal, with whether it sits under negation/aggregation."""
    if isinstance(lit, A.Atom):
        yield lit, negated
    elif isinstance(lit, A.Negation):
        yield from atoms_in_literal(lit.atom, True)
    elif isinstance(lit, A.Aggregate):
        yield from atoms_in_aggregate(lit)
    elif isinstance(lit, A.Comparison):
        yield from atoms_in_expr(lit.left)
        yield from atoms_in_expr(lit.right)


def atoms_in_expr(e) -> Iterator[tuple[A.Atom, bool]]:
    if isinstance(e, A.Aggregate):
        yield from atoms_in_aggregate(e)
    elif isinstance(e, A.BinOp):
        yield from atoms_in_expr(e.left)
        yield from atoms_in_expr(e.right)
    elif isinstance(e, A.Neg):
        yield from atoms_in_expr(e.operand)
    elif isinstance(e, A.Call):
        for a in e.args:
            yield from atoms_in_expr(a)


def atoms_in_aggregate(agg: A.Aggregate) -> Iterator[tuple[A.Atom, bool]]:
    # Everything an aggregate reads must be complete first: it counts as negative.
    for body in (agg.body, agg.consequent):
        if body is None:
            continue
        for conj in body.alternatives:
            for lit in conj:
                for atom, _ in atoms_in_literal(lit):
                    yield atom, True
    if agg.objective is not None:
        for atom, _ in atoms_in_expr(agg.objective):
            yield atom, True


def atoms_in_body(body: A.Body | None) -> Iterator[tuple[A.Atom, bool]]:
    if body is None:
        return
    for conj in body.alternatives:
        for lit in conj:
            yield from atoms_in_literal(lit)


def atoms_in_formula(f) -> Iterator[A.Atom]:
    if isinstance(f, A.Atom):
        yield f
    elif isinstance(f, A.Quantified):
        yield from atoms_in_formula(f.body)
    elif isinstance(f, A.Connective):
        yield from atoms_in_formula(f.left)
        yield from atoms_in_formula(f.right)
    elif isinstance(f, A.Not):
        yield from atoms_in_formula(f.operand)
    elif isinstance(f, A.Aggregate):
        for atom, _ in atoms_in_aggregate(f):
            yield atom
    elif isinstance(f, A.Comparison):
        for atom, _ in atoms_in_expr(f.left):
            yield atom
        for atom, _ in atoms_in_expr(f.right):
            yield atom
