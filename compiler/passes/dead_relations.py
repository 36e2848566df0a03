"""Drop relations (and their rules and facts) that no output or query can observe."""
from __future__ import annotations

from dataclasses import dataclass, replace

from nsl.compiler import ir


def _read_by(ops):
    for op in ops:
        if isinstance(op, (ir.Join, ir.AntiJoin)):
            yield op.rel
        elif isinstance(op, ir.Aggregate):
            for body in op.body:
                yield from _read_by(body)


@dataclass(frozen=True)
class DeadRelations:
    name: str = "dead_relations"

    def apply(self, module: ir.Module) -> ir.Module:
        reads: dict[str, set[str]] = {}
        for s in module.strata:
            for r in s.init + s.loop:
                head = r.ops[-1].rel
                reads.setdefault(head, set()).update(_read_by(r.ops))
        live = set(module.outputs) | {q.rel for q in module.queries}
        frontier = list(live)
        while frontier:
            rel = frontier.pop()
            for dep in reads.get(rel, ()):
                if dep not in live:
                    live.add(dep)
                    frontier.append(dep)
        # inputs stay declared: callers may supply them whether or not they are used
        keep = live | {r.name for r in module.relations if r.kind == "input"}
        strata = []
        for s in module.strata:
            members = tuple(r for r in s.relations if r in keep)
            if not members:
                continue
            strata.append(replace(s, relations=members,
                                  init=tuple(r for r in s.init if r.ops[-1].rel in keep),
                                  loop=tuple(r for r in s.loop if r.ops[-1].rel in keep)))
        return replace(module,
                       relations=tuple(r for r in module.relations if r.name in keep),
                       facts=tuple(f for f in module.facts if f.rel in keep),
                       strata=tuple(strata))
