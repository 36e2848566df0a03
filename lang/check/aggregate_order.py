"""Aggregates that need their own result: rules no evaluation order can run.

An aggregate runs once its keys -- the variables its body shares with the rest
of the rule -- are bound, and only then binds its result. So a rule whose
aggregate uses its own result inside its body (``c = count(y: q(y, c))``), or
needs a key that only its own result can bind (``c = count(y: q(y, d)),
d = count(y: q(y, c))``), has no order. Safety counts an aggregate's result
as bound whatever its keys need; this check runs the order the lowering runs
(``nsl.lang.schedule``) and reports such a rule at the variable to change. (A
relation that depends on itself through an aggregate is stratification's error.)
"""
from __future__ import annotations

from collections import deque

from nsl.lang import ast as A
from nsl.lang.check.safety import bound_variables
from nsl.lang.check.symbols import SymbolTable
from nsl.lang.diagnostics import Diagnostic, error, note
from nsl.lang.schedule import needs_and_binds, schedule
from nsl.lang.walk import aggregate_free_vars, aggregate_inner_vars, aggregate_keys, aggregate_of, expr_vars


def check_aggregate_order(program: A.Program, table: SymbolTable, diags: list[Diagnostic]) -> None:
    """Report each aggregate that needs its own result (directly or through other literals)."""
    for stmt in program.statements:
        if isinstance(stmt, A.Rule) and stmt.body is not None:
            head = {v.name for a in stmt.head.args for v in expr_vars(a)}
            for conj in stmt.body.alternatives:
                _check_scope(conj, head, frozenset(), table, diags)


def _check_scope(conj, head: set, outer: frozenset, table, diags) -> None:
    """One conjunction (a rule body, or an aggregate's body with its keys in ``outer``)."""
    explained: set[int] = set()
    reported_before = len(diags)
    for lit in conj:
        found = _result_of(lit)
        if found is None:
            continue
        agg, result = found
        others = bound_variables(tuple(x for x in conj if x is not lit), table, outer)
        if result in aggregate_inner_vars(agg) and result not in others:
            explained.add(id(lit))
            diags.append(error(
                f"'{result}' is the result of this {agg.op}, so the {agg.op}'s body cannot use it",
                _first_use(agg, result).span,
                note(f"an aggregate cannot depend on its own result: rename this '{result}' if it is "
                     f"another variable, or bind '{result}' by an atom outside the {agg.op} to "
                     "compare the two")))
    _, bound, stuck = schedule(conj, head, outer, table)
    relaxed = bound_variables(conj, table, outer)
    for lit in stuck:
        found = _result_of(lit)
        if found is None or id(lit) in explained:
            continue
        agg, result = found
        missing = [k for k in aggregate_keys(agg, conj, head, bound) if k not in bound]
        if result in bound or not missing or not set(missing) <= relaxed:
            continue  # safety reports a variable nothing binds
        path = _path(stuck, conj, head, bound, table, result, set(missing))
        if path is None:
            continue  # the cycle runs through another aggregate: reported there
        chain, steps = path
        explained.update(id(step) for step in steps)
        key = chain[-1]
        notes = [note(f"'{b}' is bound here, from '{a}'", getattr(step, "span", None))
                 for a, b, step in zip(chain, chain[1:], steps)]
        diags.append(error(
            f"this {agg.op} needs '{key}' before it runs (its body shares '{key}' with the rest of "
            f"the rule), but '{key}' is bound only through the {agg.op}'s own result "
            f"'{result}' ({' -> '.join(chain)})", _first_use(agg, key).span, *notes,
            note(f"an aggregate cannot depend on its own result: bind '{key}' by an atom outside "
                 f"the aggregates, or rename the '{key}' inside this {agg.op} if it is another "
                 "variable")))
    if stuck and not explained and not _reported_in(diags, stuck, reported_before):
        _report_unordered(stuck, conj, head, bound, relaxed, table, diags)
    for lit in conj:
        agg = aggregate_of(lit)
        if agg is None:
            continue
        keys = frozenset(aggregate_keys(agg, conj, head, outer))
        names = {v.name for v in agg.vars} | (
            {v.name for v in expr_vars(agg.objective)} if agg.objective is not None else set())
        for inner in agg.body.alternatives:
            _check_scope(inner, names, keys, table, diags)


def _reported_in(diags, stuck, since: int) -> bool:
    """Whether this scope already reported an error (safety's, for what nothing binds, comes
    before this check; its variables never reach the relaxed set, see below)."""
    return len(diags) > since


def _report_unordered(stuck, conj, head, bound, relaxed, table, diags) -> None:
    """The catch-all: a literal no order runs, though everything it needs is bound somewhere
    in the rule (so safety is content) -- a cycle through aggregates the notes above missed.
    The lowering would stop at it; report it here, with what it waits for."""
    for lit in stuck:
        needs, _ = needs_and_binds(lit, conj, head, bound, table)
        missing = [n for n in needs if n not in bound]
        if not missing or not set(missing) <= relaxed:
            continue  # safety reports a variable nothing binds
        names = ", ".join(f"'{n}'" for n in missing)
        agg = aggregate_of(lit)
        notes = [note(f"a {agg.op} runs once its keys (the variables its body shares with the rest "
                      "of the rule) are bound, and binds its result only then")] if agg else []
        diags.append(error(
            f"no order of this rule's literals runs this one: it needs {names} bound first, and "
            f"{'it is' if len(missing) == 1 else 'they are'} bound only by literals that wait for "
            "an aggregate that waits for this one", getattr(lit, "span", None), *notes,
            note("bind these variables by an atom outside the aggregates")))
        return


def _result_of(lit):
    """``(aggregate, variable)`` for ``variable = aggregate`` (either way round), else None."""
    if isinstance(lit, A.Comparison) and lit.op == "=":
        for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
            if isinstance(source, A.Aggregate) and isinstance(target, A.Var):
                return source, target.name
    return None


def _first_use(agg: A.Aggregate, name: str) -> A.Var:
    for v in (*agg.vars, *aggregate_free_vars(agg)):
        if v.name == name:
            return v
    return A.Var(name, agg.span)


def _path(stuck, conj, head, bound, table, start: str, goals: set):
    """The shortest chain of stuck literals that binds a goal from ``start``:
    (variables start .. goal, the literal of each step), or None."""
    edges: dict[str, list] = {}
    for lit in stuck:
        needs, binds = needs_and_binds(lit, conj, head, bound, table)
        for a in (n for n in needs if n not in bound):
            for b in (n for n in binds if n not in bound):
                edges.setdefault(a, []).append((b, lit))
    prev: dict[str, tuple] = {start: None}
    queue = deque([start])
    while queue:
        var = queue.popleft()
        if var in goals:
            chain, steps = [var], []
            while prev[var] is not None:
                var, step = prev[var]
                chain.append(var)
                steps.append(step)
            return chain[::-1], steps[::-1]
        for nxt, step in sorted(edges.get(var, ()), key=lambda e: e[0]):
            if nxt not in prev:
                prev[nxt] = (var, step)
                queue.append(nxt)
    return None
