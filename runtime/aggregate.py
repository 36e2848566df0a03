"""The correlated ``Aggregate`` operator, vectorized with sort + segment reductions.

Outer rows are grouped by ``keys``; the body runs once over the distinct key
rows carrying a hidden group-id column, so every body row knows its group
without a join; results are reduced per group (``bincount``,
``index_add_``, ``scatter_reduce``) and gathered back to the outer rows.

Tags: ``exists`` / ``not_exists`` multiply the outer tag by the ⊕ (negated) of
the group's body tags. The other aggregates keep the outer row's tag: how a
probabilistic semiring values a count or an argmax is the provenance's
business and arrives with those semirings.
"""
from __future__ import annotations

import torch

from nsl.compiler.ir_vars import expr_cols

from .expr import evaluate, to_column
from .join import concat_tables
from .keys import KeyCodec, expand, sort_unique
from .provenance.base import gather_tags, mul_tags
from .relation import empty_column
from .table import Table

GROUP = "#g"  # hidden column; '#' cannot start an NSL variable


def aggregate(ex, op, table: Table) -> Table:
    prov = ex.prov
    if table.n == 0:
        cols = dict(table.cols)
        for name, ty in zip(op.results, op.result_types or ("int",) * len(op.results)):
            cols[name] = empty_column(ty)
        return Table(cols, table.tags, 0)
    inverse, start = _groups(table, op.keys)
    n_groups = start.n
    body = _run_body(ex, op, start)
    g = body.cols[GROUP]
    counts = torch.bincount(g, minlength=n_groups)
    if op.op in ("exists", "not_exists"):
        return _exists(prov, op.op == "exists", table, inverse, body, counts)
    if op.op in ("argmin", "argmax"):
        return _arg(ex, op, table, inverse, body, n_groups)
    body = body.take(prov, _distinct(body, [GROUP] + list(op.vars)))
    g = body.cols[GROUP]
    rtype = op.result_types[0] if op.result_types else "int"
    if op.op == "count":
        value, present = torch.bincount(g, minlength=n_groups), None
    elif op.op == "sum":
        v = to_column(body.cols[op.vars[0]], rtype)
        value, present = torch.zeros(n_groups, dtype=v.dtype).index_add_(0, g, v), None
        if v.dtype == torch.float64 and not bool(torch.isfinite(value).all()):
            # a float sum past the float range derives nothing for its group, as a rule's
            # overflowing arithmetic does (ints wrap instead, as in the rest of the language)
            present = torch.isfinite(value)
    elif op.op in ("min", "max"):
        v = body.cols[op.vars[0]]
        value = _extreme(ex, v, g, n_groups, op.op == "min", rtype)
        present = torch.bincount(g, minlength=n_groups) > 0
    else:
        raise ValueError(f"unknown aggregate {op.op!r}")
    if present is None:
        out, inv = Table(dict(table.cols), table.tags, table.n), inverse
    else:
        out, inv = table.where(prov, present[inverse]), inverse[present[inverse]]
    out.cols[op.results[0]] = to_column(value[inv], rtype)
    return out


def _groups(table: Table, keys):
    """Group id of each outer row, and the start table: one row per group, keys + group id."""
    if not keys:
        zeros = torch.zeros(table.n, dtype=torch.int64)
        return zeros, Table({GROUP: torch.zeros(1, dtype=torch.int64)}, None, 1)
    kcols = [table.cols[k] for k in keys]
    perm, _, starts = sort_unique(KeyCodec.fit(kcols), kcols, table.n)
    seg = torch.zeros(table.n, dtype=torch.int64)
    seg[starts[1:]] = 1
    inverse = torch.empty_like(seg)
    inverse[perm] = seg.cumsum(0)
    rep = perm[starts]
    n = int(starts.shape[0])
    cols = {k: table.cols[k][rep] for k in keys}
    cols[GROUP] = torch.arange(n)
    return inverse, Table(cols, None, n)


def _run_body(ex, op, start: Table) -> Table:
    keep = [GROUP] + list(op.vars)
    parts = []
    for alt in op.body:
        needed = frozenset(keep) | (frozenset(_vars_of(op.objective)) if op.objective else frozenset())
        t = ex.run_ops(alt, Table(dict(start.cols), None, start.n), None, needed)
        cols = {k: t.cols[k] for k in keep}
        if op.objective is None:
            parts.append(Table(cols, t.tags, t.n))
            continue
        obj, ok = evaluate(op.objective, t, ex.interner)
        cols["#obj"] = obj
        sub = Table(cols, t.tags, t.n)
        parts.append(sub if ok is None else sub.where(ex.prov, ok))
    return concat_tables(ex.prov, parts)


def _vars_of(e):
    return expr_cols(e)


def _distinct(t: Table, names) -> torch.Tensor:
    cols = [t.cols[k] for k in names]
    perm, _, starts = sort_unique(KeyCodec.fit(cols), cols, t.n)
    return perm[starts]


def _extreme(ex, v, g, n_groups, is_min, ty):
    reduce = "amin" if is_min else "amax"
    if ty == "str":
        (rank,) = ex.interner.ranks(v)
        best = torch.zeros(n_groups, dtype=torch.int64).scatter_reduce(
            0, g, rank, reduce, include_self=False)
        id_of_rank = torch.zeros(int(rank.max()) + 1 if rank.numel() else 1, dtype=torch.int64)
        id_of_rank[rank] = v
        return id_of_rank[best]
    return torch.zeros(n_groups, dtype=v.dtype).scatter_reduce(0, g, v, reduce, include_self=False)


def _exists(prov, want, table, inverse, body, counts):
    present = counts > 0
    if body.tags is None:
        return table.where(prov, present[inverse] if want else ~present[inverse])
    g, order = torch.sort(body.cols[GROUP], stable=True)
    new = torch.ones(g.shape[0], dtype=torch.bool)
    new[1:] = g[1:] != g[:-1]
    starts = torch.nonzero(new).reshape(-1)
    group_tag = prov.add_segments(prov.gather(body.tags, order), starts, int(starts.shape[0]))
    full = prov.zero(counts.shape[0])
    full[g[starts]] = group_tag
    factor = full if want else prov.negate(full)
    tags = mul_tags(prov, table.tags, prov.gather(factor, inverse))
    out = Table(table.cols, tags, table.n).where(prov, ~prov.is_zero(tags))
    out.tags = prov.canonical(out.tags)
    return out


def _arg(ex, op, table, inverse, body, n_groups):
    prov = ex.prov
    obj = body.cols["#obj"]
    if op.objective.type == "str":
        (obj,) = ex.interner.ranks(obj)
    g = body.cols[GROUP]
    best = torch.zeros(n_groups, dtype=obj.dtype).scatter_reduce(
        0, g, obj, "amin" if op.op == "argmin" else "amax", include_self=False)
    body = body.where(prov, obj == best[g])
    body = body.take(prov, _distinct(body, [GROUP] + list(op.vars)))
    g, order = torch.sort(body.cols[GROUP], stable=True)
    counts = torch.bincount(g, minlength=n_groups)
    first = torch.cumsum(counts, 0) - counts
    lo = first[inverse]
    q, r = expand(lo, lo + counts[inverse])
    w = order[r]
    cols = {k: v[q] for k, v in table.cols.items()}
    for res, var in zip(op.results, op.vars):
        cols[res] = body.cols[var][w]
    return Table(cols, gather_tags(prov, table.tags, q), int(q.shape[0]))
