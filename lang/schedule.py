"""The order a rule body's literals run in: what each needs bound first, and what it binds.

A conjunction runs one literal at a time: the first literal, in body order,
whose needs are bound runs next, and the search starts again from the top.
The lowering emits its operators in exactly this order, and the
``aggregate_order`` check asks it which literals no order can run, so the two
cannot disagree. What a literal needs and binds, given the variables bound so
far:

- a relation atom binds its variables once the variables of its other
  arguments (``p(x, y + 1)``: ``y``) are bound;
- ``knn(index, vector, k, id, score)`` needs ``vector`` and ``k``, binds ``id``
  and ``score``;
- a neural atom needs all but its last argument, and binds the last (a
  constant or an expression there is compared with the output: it needs its
  variables too);
- ``x = e`` binds an unbound ``x`` once ``e``'s variables are bound;
- an aggregate runs once its keys (the variables its body shares with the
  rest of the rule) are bound; ``x = agg(...)`` then binds ``x`` (``exists``
  and ``forall`` give no value), any other comparison with it needs the other
  side;
- ``not p(...)`` and any other comparison need all their variables;
- a literal no rule body runs (a chained comparison, ``distinct(...)``) waits
  for nothing: the lowering rejects it where it comes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from nsl.lang import ast as A
from nsl.lang.walk import aggregate_keys, expr_vars

if TYPE_CHECKING:
    from nsl.lang.check.symbols import SymbolTable

# Aggregates that only test whether their body holds: ``x = exists(...)`` binds nothing.
CONDITIONS = ("exists", "forall")


def needs_and_binds(lit, conj, head_names, bound, table: SymbolTable) -> tuple[list[str], list[str]]:
    """What ``lit`` (a literal of ``conj``) needs bound before it runs, and the variables it
    binds when it does, given the names in ``bound``; ``head_names``: the head's variables
    (or an aggregate's listed variables and objective), which decide an aggregate's keys.
    Both lists in order of first mention."""
    if isinstance(lit, A.Atom):
        return _atom(lit, table)
    if isinstance(lit, A.Negation) and isinstance(lit.atom, A.Atom):
        return _names(lit.atom.args), []
    agg, target = compared_aggregate(lit)
    if agg is not None:
        needs = aggregate_keys(agg, conj, head_names, bound)
        if target is None:
            return needs, []
        if lit.op == "=" and isinstance(target, A.Var) and target.name not in bound:
            return needs, [] if agg.op in CONDITIONS else [target.name]
        return _unique([*needs, *_names([target])]), []
    if isinstance(lit, A.Comparison):
        if lit.op == "=":
            for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
                if isinstance(target, A.Var) and target.name not in bound:
                    return _names([source]), [target.name]
        return _names([lit.left, lit.right]), []
    return [], []


def compared_aggregate(lit):
    """``(aggregate, other side)`` of the aggregate ``lit`` runs: itself or under ``not``
    (other side None), or compared with a value (``n = count(...)``; with one on each side,
    the right one runs); ``(None, None)`` when ``lit`` runs none."""
    if isinstance(lit, A.Negation):
        lit = lit.atom
    if isinstance(lit, A.Aggregate):
        return lit, None
    if isinstance(lit, A.Comparison):
        for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
            if isinstance(source, A.Aggregate):
                return source, target
    return None, None


def runs(lit, conj, head_names, bound, table: SymbolTable) -> list[str] | None:
    """The variables ``lit`` binds if it can run with ``bound``, else None."""
    needs, binds = needs_and_binds(lit, conj, head_names, bound, table)
    return binds if all(n in bound for n in needs) else None


def next_literal(pending, conj, head_names, bound, table: SymbolTable) -> tuple[int, list[str]] | None:
    """The literal of ``pending`` that runs next, the first that can: its index and the
    variables it binds; None when none can run."""
    for i, lit in enumerate(pending):
        binds = runs(lit, conj, head_names, bound, table)
        if binds is not None:
            return i, binds
    return None


def schedule(conj, head_names, outer: Iterable[str], table: SymbolTable) -> tuple[list, set[str], list]:
    """Run ``conj`` with the names in ``outer`` bound: the literals in the order they run,
    the names bound after them, and the literals no order can run (in body order)."""
    bound, order, pending = set(outer), [], list(conj)
    while (found := next_literal(pending, conj, head_names, bound, table)) is not None:
        i, binds = found
        order.append(pending.pop(i))
        bound.update(binds)
    return order, bound, pending


def _atom(atom: A.Atom, table) -> tuple[list[str], list[str]]:
    args, info = atom.args, table.relations.get(atom.rel)
    if info is not None and info.builtin and len(args) == 5:  # knn(index, vector, k, id, score)
        return _names(args[1:3]), _unique(a.name for a in args[3:] if isinstance(a, A.Var))
    if info is not None and info.neural is not None and args:
        *inputs, out = args
        if isinstance(out, A.Var):
            return _names(inputs), [out.name]
        return _names(args), []
    return (_names(a for a in args if not isinstance(a, (A.Var, A.Wildcard))),
            _unique(a.name for a in args if isinstance(a, A.Var)))


def _names(exprs) -> list[str]:
    return _unique(v.name for e in exprs for v in expr_vars(e))


def _unique(names) -> list[str]:
    return list(dict.fromkeys(names))
