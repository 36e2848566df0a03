"""Helpers to rebuild a module with every rule (or every expression) rewritten."""
from __future__ import annotations

from dataclasses import replace

from nsl.compiler import ir


def map_rules(module: ir.Module, fn) -> ir.Module:
    """Apply ``fn(rule, stratum) -> list[Rule]`` to the init and loop rules of every stratum."""
    strata = []
    for s in module.strata:
        init = tuple(r2 for r in s.init for r2 in fn(r, s, "init"))
        loop = tuple(r2 for r in s.loop for r2 in fn(r, s, "loop"))
        strata.append(replace(s, init=init, loop=loop))
    return replace(module, strata=tuple(strata))


def map_ops(ops, fn):
    """Apply ``fn(op) -> op`` to every op, descending into aggregate bodies first."""
    out = []
    for op in ops:
        if isinstance(op, ir.Aggregate):
            op = replace(op, body=tuple(tuple(map_ops(b, fn)) for b in op.body))
        out.append(fn(op))
    return out
