"""The order a rule body's literals run in: what each needs bound first, and what it binds.

A conjunction runs one literal at a time: the first literal, in body order,
whose needs are bound runs next, and the search starts again from the top.
The lowering emits its operators in exactly this order, and the
``aggregate_order`` check asks it which literals no order can run, so the two
cannot disagree. What a literal needs and binds, given the variables bound so
far:

- a relation atom binds its variables once the variables of its other
  arguments (``p(x, y + 1)``: ``y``) are bound, so that it can join on them;
  when no literal can run, the first such atom runs anyway (as Soufflé does):
  it binds its variable arguments, and each expression argument becomes a
  check (``split_atom``) that runs once its variables are bound;
- ``knn(index, vector, k, id, score)`` needs ``vector`` and ``k``, binds ``id``
  and ``score``;
- a neural atom needs all but its last argument, and binds the last (a
  constant or an expression there is compared with the output: it needs its
  variables too);
- ``x = e`` binds an unbound ``x`` once ``e``'s variables are bound;
- an aggregate runs once its keys (the variables its body shares with the
  rest of the rule) are bound; ``x = agg(...)`` then binds ``x`` (``exists``
  and ``forall`` give a bool), any other comparison with it needs the other
  side (another aggregate's keys, when both sides are aggregates);
- ``not p(...)`` and any other comparison need all their variables;
- a literal no rule body runs (a chained comparison, ``distinct(...)``) waits
  for nothing: the ``rule_forms`` check reports it (and the lowering, for
  unchecked input, rejects it where it comes).

Safety asks the same question without the order (``order=False``): which
variables a literal binds once the variables it cannot do without are bound,
leaving out what only decides *when* it runs -- an aggregate's keys (the
``aggregate_order`` check's business) and an atom's expression arguments
(checked after it, see above).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

from nsl.lang import ast as A
from nsl.lang.walk import aggregate_keys, expr_vars

if TYPE_CHECKING:
    from nsl.lang.check.symbols import SymbolTable

# Aggregates whose value is whether their body holds: ``b = exists(...)`` binds a bool.
CONDITIONS = ("exists", "forall")


def needs_and_binds(lit, conj, head_names, bound, table: SymbolTable,
                    order: bool = True) -> tuple[list[str], list[str]]:
    """What ``lit`` (a literal of ``conj``) needs bound before it runs, and the variables it
    binds when it does, given the names in ``bound``; ``head_names``: the head's variables
    (or an aggregate's listed variables and objective), which decide an aggregate's keys.
    Without ``order``, the needs leave out an aggregate's keys and an atom's expression
    arguments (see the module's docstring). Both lists in order of first mention."""
    if isinstance(lit, A.Atom):
        needs, binds = _atom(lit, table)
        return (needs if order or not deferrable(lit, table) else []), binds
    if isinstance(lit, A.Negation) and isinstance(lit.atom, A.Atom):
        return _names(lit.atom.args), []
    agg, target = compared_aggregate(lit)
    if agg is not None:
        needs = aggregate_keys(agg, conj, head_names, bound) if order else []
        if target is None:
            return needs, []
        if lit.op == "=" and isinstance(target, A.Var) and target.name not in bound:
            return needs, [target.name]
        if isinstance(target, A.Aggregate):
            other = aggregate_keys(target, conj, head_names, bound) if order else []
            return _unique([*other, *needs]), []
        return _unique([*needs, *_names([target], order)]), []
    if isinstance(lit, A.Comparison):
        if lit.op == "=":
            for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
                if isinstance(target, A.Var) and target.name not in bound:
                    return _names([source], order), [target.name]
        return _names([lit.left, lit.right], order), []
    return [], []


def deferrable(lit, table: SymbolTable) -> bool:
    """Whether ``lit`` is a relation atom (not knn, not neural) with an expression argument:
    it can run before that argument's variables are bound, checking it after."""
    if not isinstance(lit, A.Atom) or not any(_is_expression(a) for a in lit.args):
        return False
    info = table.relations.get(lit.rel)
    return info is None or not (info.builtin or info.neural is not None)


def split_atom(atom: A.Atom, fresh: Callable[[], str]) -> tuple[A.Atom, list[A.Comparison]]:
    """``p(x, y + 1)`` as ``p(x, t)`` and the check ``t = y + 1`` (``t`` a ``fresh()`` name):
    how a deferrable atom runs when nothing binds its expression arguments' variables first."""
    args, checks = [], []
    for a in atom.args:
        if _is_expression(a):
            var = A.Var(fresh(), a.span)
            args.append(var)
            checks.append(A.Comparison("=", var, a, a.span))
        else:
            args.append(a)
    return A.Atom(atom.rel, tuple(args), atom.span), checks


def _is_expression(arg) -> bool:
    return not isinstance(arg, (A.Var, A.Wildcard)) and any(True for _ in expr_vars(arg))


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


def next_literal(pending, conj, head_names, bound, table: SymbolTable) -> tuple[int, list[str], bool] | None:
    """The literal of ``pending`` that runs next, the first that can: its index, the
    variables it binds, and whether it runs split (``split_atom``: when none can run as it
    is, the first deferrable atom); None when none can run."""
    for i, lit in enumerate(pending):
        binds = runs(lit, conj, head_names, bound, table)
        if binds is not None:
            return i, binds, False
    for i, lit in enumerate(pending):
        if deferrable(lit, table):
            return i, needs_and_binds(lit, conj, head_names, bound, table)[1], True
    return None


def schedule(conj, head_names, outer: Iterable[str], table: SymbolTable) -> tuple[list, set[str], list]:
    """Run ``conj`` with the names in ``outer`` bound: the literals in the order they run
    (a split atom as its scan, then its checks where they run), the names bound after them,
    and the literals no order can run (in body order; a split atom's checks at the end)."""
    bound, order, pending = set(outer), [], list(conj)
    counter = iter(range(1 << 30))
    while (found := next_literal(pending, conj, head_names, bound, table)) is not None:
        i, binds, split = found
        lit = pending.pop(i)
        if split:
            lit, checks = split_atom(lit, lambda: f"#{next(counter)}")  # '#': never a user's name
            pending.extend(checks)
            binds = [*binds, *(c.left.name for c in checks)]
        order.append(lit)
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


def _names(exprs, aggregates: bool = True) -> list[str]:
    return _unique(v.name for e in exprs for v in expr_vars(e, aggregates))


def _unique(names) -> list[str]:
    return list(dict.fromkeys(names))
