"""Warn about a variable that occurs once in a rule: usually a typo (Soufflé warns too)."""
from __future__ import annotations

from collections import Counter

from nsl.lang import ast as A
from nsl.lang.diagnostics import Diagnostic
from nsl.lang.walk import expr_vars, literal_vars


def check_singletons(program: A.Program, diags: list[Diagnostic]) -> None:
    for stmt in program.statements:
        if not isinstance(stmt, A.Rule) or stmt.body is None:
            continue
        head = [v for a in stmt.head.args for v in expr_vars(a)]
        for conj in stmt.body.alternatives:
            occurrences = head + [v for lit in conj for v in _all_vars(lit)]
            counts = Counter(v.name for v in occurrences)
            for v in occurrences:
                if counts[v.name] == 1 and not v.name.startswith("_"):
                    diags.append(Diagnostic("warning", f"variable '{v.name}' occurs only once in this rule; "
                                            "write `_` if any value will do", v.span))


def _all_vars(lit):
    yield from literal_vars(lit)
    if isinstance(lit, A.Aggregate):
        yield from lit.vars
    elif isinstance(lit, A.Comparison):
        for side in (lit.left, lit.right):
            if isinstance(side, A.Aggregate):
                yield from side.vars
