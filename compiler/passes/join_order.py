"""Order a rule's operators: filters as early as possible, joins by selectivity.

Greedy: whenever a non-join operator (filter, map, antijoin, aggregate,
neural, knn) has all its inputs bound it runs next, shrinking the table
(checks stay last: they must see only the rows the rule derives);
otherwise the next join is the best-scored ready one: a delta first, then the
one sharing most bound variables (a key join instead of a product), then
more literal arguments, then the smaller known relation.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from nsl.compiler import ir
from nsl.compiler.ir_vars import op_binds as binds
from nsl.compiler.ir_vars import op_reads as needs


def order_ops(ops, bound: set[str], sizes: dict[str, int]) -> list:
    pending = list(ops)
    out = []
    bound = set(bound)
    while pending:
        ready = [op for op in pending if not isinstance(op, (ir.Join, ir.Insert, ir.Check))
                 and needs(op) <= bound]
        if ready:
            chosen = ready[0]
        else:
            # a join on a variable that a pending map/aggregate binds tests against that value:
            # run first, it would bind the variable itself and the map could not
            later = set().union(*(binds(op) for op in pending if not isinstance(op, ir.Join)))
            joins = [op for op in pending if isinstance(op, ir.Join) and not binds(op) & later]
            if not joins:
                # only ops whose inputs a Map/aggregate later binds, or the checks and the Insert
                chosen = next((op for op in pending if not isinstance(op, (ir.Insert, ir.Check))),
                              pending[0])
            else:
                chosen = max(joins, key=lambda j: _score(j, bound, sizes, joins.index(j)))
        pending.remove(chosen)
        if isinstance(chosen, ir.Aggregate):
            chosen = replace(chosen, body=tuple(tuple(order_ops(b, set(chosen.keys), sizes))
                                                for b in chosen.body))
        out.append(chosen)
        bound |= binds(chosen)
    return out


def _score(join: ir.Join, bound: set[str], sizes: dict[str, int], position: int):
    keys = sum(1 for a in join.args if isinstance(a, ir.ColRef) and a.name in bound)
    literals = sum(1 for a in join.args if isinstance(a, ir.Lit))
    size = sizes.get(join.rel, 1 << 40)
    first = not bound
    connected = keys + literals > 0 or first or not join.args
    return (join.version == "delta", connected, keys + literals, -size, -position)


@dataclass(frozen=True)
class JoinOrder:
    name: str = "join_order"

    def apply(self, module: ir.Module) -> ir.Module:
        sizes = {f.rel: len(f.rows) for f in module.facts}
        strata = []
        for s in module.strata:
            def reorder(rules):
                return tuple(replace(r, ops=tuple(order_ops(r.ops, set(), sizes))) for r in rules)
            strata.append(replace(s, init=reorder(s.init), loop=reorder(s.loop)))
        return replace(module, strata=tuple(strata))
