"""Small traversals over the AST shared by the checks and the lowering."""
from __future__ import annotations

from typing import Iterator

from nsl.lang import ast as A


def run_recursive(call):
    """The result of a recursive generator function, run without Python recursion.

    A long flat expression (``y + 1 + 1 + ...``) is a tree as deep as it is long, so a
    pass that recursed per level would need Python's recursion limit raised with the
    depth. Written as a generator, such a pass yields the generator of each sub-call
    where it would have called itself (``left = yield self.expr(e.left)``) and receives
    its result; this loop keeps the pending calls on a list instead of the C stack.
    """
    stack, value = [call], None
    while True:
        try:
            sub = stack[-1].send(value)
        except StopIteration as done:
            stack.pop()
            if not stack:
                return done.value
            value = done.value
        else:
            stack.append(sub)
            value = None


def _children(e):
    """The sub-expressions ``expr_vars`` and ``aggregates_in`` descend into, left to right
    (an aggregate's own scope excluded)."""
    if isinstance(e, A.BinOp):
        return (e.left, e.right)
    if isinstance(e, A.Neg):
        return (e.operand,)
    if isinstance(e, A.Call):
        return e.args
    if isinstance(e, A.Subscript):
        return (e.base, e.index)
    if isinstance(e, A.ListExpr):
        return e.items
    if isinstance(e, A.KwArg):
        return (e.value,)
    return ()


def expr_vars(e, aggregates: bool = True) -> Iterator[A.Var]:
    """Variables occurring free in an expression (not inside an aggregate's own scope);
    without ``aggregates``, none of an aggregate's at all (only those outside any).
    Left to right, with an explicit stack: expressions nest as deep as they are long."""
    stack = [e]
    while stack:
        e = stack.pop()
        if isinstance(e, A.Var):
            yield e
        elif isinstance(e, A.Aggregate):
            if aggregates:
                yield from aggregate_free_vars(e)
        else:
            stack.extend(reversed(_children(e)))


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



def aggregate_of(lit):
    """The aggregate a literal is (``exists(...)``), negates or compares with (``n = count(...)``),
    or None."""
    if isinstance(lit, A.Negation):
        lit = lit.atom
    if isinstance(lit, A.Aggregate):
        return lit
    if isinstance(lit, A.Comparison):
        for side in (lit.left, lit.right):
            if isinstance(side, A.Aggregate):
                return side
    return None


def owner_literal(conj, agg: A.Aggregate):
    """The literal of ``conj`` that holds ``agg``: itself, a comparison or a negation."""
    for lit in conj:
        if lit is agg or (isinstance(lit, A.Comparison) and (lit.left is agg or lit.right is agg)) \
                or (isinstance(lit, A.Negation) and lit.atom is agg):
            return lit
    return agg


def scope_names(conj, lit, head_names) -> set[str]:
    """Variables of a rule's own scope outside literal ``lit`` of ``conj``, with ``head_names``
    (the head's, or an aggregate's listed variables and objective).

    Another aggregate's body is its own scope: a variable that two aggregate
    bodies share, and nothing else mentions, is local to each; the variable an
    aggregate is compared with belongs to the rule.
    """
    names = set(head_names)
    for other in conj:
        if other is lit or isinstance(other, A.Aggregate) or \
                (isinstance(other, A.Negation) and isinstance(other.atom, A.Aggregate)):
            continue
        if isinstance(other, A.Comparison):
            for side in (other.left, other.right):
                if not isinstance(side, A.Aggregate):
                    names |= {v.name for v in expr_vars(side)}
            continue
        names |= {v.name for v in literal_vars(other)}
    return names


def aggregate_keys(agg: A.Aggregate, conj, head_names, bound=()) -> list[str]:
    """An aggregate's keys: the variables its body shares with the rest of the rule (``bound``:
    those already bound there), which must be bound before it runs; the listed variables
    are never keys. Sorted."""
    outside = scope_names(conj, owner_literal(conj, agg), head_names) | set(bound)
    listed = {v.name for v in agg.vars}
    return sorted(n for n in aggregate_inner_vars(agg) & outside if n not in listed)


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


def atoms_in_literal(lit, through: str | None = None) -> Iterator[tuple[A.Atom, str | None]]:
    """Every relation atom inside a literal, with what it sits under: None (a positive atom),
    ``"not"``, or the op of the innermost aggregate that reads it (``"count"``)."""
    if isinstance(lit, A.Atom):
        yield lit, through
    elif isinstance(lit, A.Negation):
        yield from atoms_in_literal(lit.atom, "not")
    elif isinstance(lit, A.Aggregate):
        yield from atoms_in_aggregate(lit)
    elif isinstance(lit, A.Comparison):
        yield from atoms_in_expr(lit.left)
        yield from atoms_in_expr(lit.right)


def atoms_in_expr(e) -> Iterator[tuple[A.Atom, str | None]]:
    for agg in aggregates_in(e):
        yield from atoms_in_aggregate(agg)


def atoms_in_aggregate(agg: A.Aggregate) -> Iterator[tuple[A.Atom, str]]:
    # Everything an aggregate reads must be complete first, as under `not`.
    for body in (agg.body, agg.consequent):
        if body is None:
            continue
        for conj in body.alternatives:
            for lit in conj:
                for atom, through in atoms_in_literal(lit):
                    yield atom, through if through not in (None, "not") else agg.op
    if agg.objective is not None:
        for atom, through in atoms_in_expr(agg.objective):
            yield atom, through or agg.op


def atoms_in_body(body: A.Body | None) -> Iterator[tuple[A.Atom, str | None]]:
    if body is None:
        return
    for conj in body.alternatives:
        for lit in conj:
            yield from atoms_in_literal(lit)


def atoms_in_formula(f) -> Iterator[A.Atom]:
    stack = [f]  # explicit: `a and b and ...` nests as deep as it is long
    while stack:
        f = stack.pop()
        if isinstance(f, A.Atom):
            yield f
        elif isinstance(f, A.Quantified):
            stack.append(f.body)
        elif isinstance(f, A.Connective):
            stack += (f.right, f.left)
        elif isinstance(f, A.Not):
            stack.append(f.operand)
        elif isinstance(f, A.Aggregate):
            for atom, _ in atoms_in_aggregate(f):
                yield atom
        elif isinstance(f, A.Comparison):
            for atom, _ in atoms_in_expr(f.left):
                yield atom
            for atom, _ in atoms_in_expr(f.right):
                yield atom


def aggregates_in(e) -> Iterator[A.Aggregate]:
    """The aggregates of an expression (not inside another aggregate),
    left to right; with an explicit stack, as an expression nests as deep as it is long."""
    stack = [e]
    while stack:
        e = stack.pop()
        if isinstance(e, A.Aggregate):
            yield e
        else:
            stack.extend(reversed(_children(e)))
