"""Warn about a variable that occurs once in a rule: usually a typo (Soufflé warns too).

An aggregate body is its own scope: a variable that occurs only inside one
aggregate is counted there, while one shared with the rest of the rule (a
key) is counted across the whole rule.
"""
from __future__ import annotations

from collections import Counter

from nsl.lang import ast as A
from nsl.lang.diagnostics import Diagnostic
from nsl.lang.walk import aggregate_free_vars, expr_vars, literal_vars


def check_singletons(program: A.Program, diags: list[Diagnostic]) -> None:
    for stmt in program.statements:
        if not isinstance(stmt, A.Rule) or stmt.body is None:
            continue
        head = [v for a in stmt.head.args for v in expr_vars(a)]
        for conj in stmt.body.alternatives:
            outer, aggregates = list(head), []
            for lit in conj:
                _split(lit, outer, aggregates)
            inner = [list(agg.vars) + list(aggregate_free_vars(agg)) for agg in aggregates]
            outer_names = Counter(v.name for v in outer)
            everywhere = outer_names + Counter(v.name for vs in inner for v in vs)
            for v in outer:
                _warn_once(v, everywhere[v.name], diags)
            for occurrences in inner:
                local = Counter(v.name for v in occurrences)
                for v in occurrences:
                    _warn_once(v, everywhere[v.name] if v.name in outer_names else local[v.name], diags)


def _split(lit, outer: list, aggregates: list) -> None:
    """Sort a literal's variables into the rule's own scope and its aggregates."""
    if isinstance(lit, A.Aggregate):
        aggregates.append(lit)
    elif isinstance(lit, A.Negation) and isinstance(lit.atom, A.Aggregate):
        aggregates.append(lit.atom)
    elif isinstance(lit, A.Comparison):
        for side in (lit.left, lit.right):
            if isinstance(side, A.Aggregate):
                aggregates.append(side)
            else:
                outer.extend(expr_vars(side))
    else:
        outer.extend(literal_vars(lit))


def _warn_once(v: A.Var, count: int, diags: list[Diagnostic]) -> None:
    if count == 1 and not v.name.startswith("_"):
        diags.append(Diagnostic("warning", f"variable '{v.name}' occurs only once in this rule; "
                                "write `_` if any value will do", v.span))
