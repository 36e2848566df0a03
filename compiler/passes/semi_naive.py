"""Semi-naive evaluation: each recursive rule reads the delta of one recursive atom.

A loop rule with n joins on relations of its own stratum becomes n variants;
variant i reads the ``delta`` (the facts new in the last iteration) of join i
and the ``full`` relations elsewhere, so each iteration only derives from new facts.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from nsl.compiler import ir


@dataclass(frozen=True)
class SemiNaive:
    name: str = "semi_naive"

    def apply(self, module: ir.Module) -> ir.Module:
        strata = []
        for s in module.strata:
            if not s.recursive:
                strata.append(s)
                continue
            members = set(s.relations)
            loop = []
            for rule in s.loop:
                positions = [i for i, op in enumerate(rule.ops)
                             if isinstance(op, ir.Join) and op.rel in members and op.version == "full"]
                if not positions or any(isinstance(op, ir.Join) and op.version == "delta" for op in rule.ops):
                    loop.append(rule)  # already semi-naive, or nothing recursive to split on
                    continue
                for k, pos in enumerate(positions):
                    ops = list(rule.ops)
                    ops[pos] = replace(ops[pos], version="delta")
                    name = rule.name if len(positions) == 1 else f"{rule.name}/d{k}"
                    loop.append(replace(rule, name=name, ops=tuple(ops)))
            strata.append(replace(s, loop=tuple(loop)))
        return replace(module, strata=tuple(strata))
