"""Join and antijoin of a binding table with a relation (a list of sorted runs).

The relation side is indexed per run — rows filtered by the atom's literals and
repeated variables, sorted by the key of the join columns — and the index is
cached on the run, so an unchanged relation (``edge``) is sorted once per
execution. The table side probes with two ``searchsorted`` and fans out with
one ``repeat_interleave``.
"""
from __future__ import annotations

import torch

from nsl.compiler import ir

from .expr import literal_value
from .keys import KeyCodec, expand, rows_equal
from .provenance.base import Provenance, cat_tags, gather_tags, mul_tags
from .table import Table, take_tags


class AtomSpec:
    """How an atom's arguments meet a table with columns ``bound``."""

    def __init__(self, args, bound, interner):
        self.key_pos, self.key_vars, self.lits, self.eqs = [], [], [], []
        self.new_vars: dict[str, int] = {}
        for pos, arg in enumerate(args):
            if isinstance(arg, ir.Lit):
                self.lits.append((pos, literal_value(arg, interner)))
            elif isinstance(arg, ir.ColRef):
                if arg.name in bound:
                    self.key_pos.append(pos)
                    self.key_vars.append(arg.name)
                elif arg.name in self.new_vars:
                    self.eqs.append((self.new_vars[arg.name], pos))
                else:
                    self.new_vars[arg.name] = pos
        self.cache_key = (tuple(self.key_pos), tuple(self.lits), tuple(self.eqs))


DIRECT_ADDRESSING = True  # tests switch it off to exercise the binary-search path
_DIRECT_BOUND = 1 << 62     # keys beyond ±this are not direct-addressed (``key - base`` could wrap)


class Index:
    """Selected rows of a run in the order of their join key.

    When the key range is small the index is also direct-addressed: ``first`` and
    ``end`` per key value replace the two binary searches by two gathers. Both tables
    carry one empty slot below and one above the range, so a probe clamps its offset
    instead of masking rows out of range (two torch calls instead of six). ``unique`` (no
    key repeats) lets a probe skip the fan-out: ``pos`` then maps a key straight to its
    row (or -1).
    """

    __slots__ = ("rows", "key", "codec", "cols", "base", "slots", "first", "end", "pos",
                 "unique", "_views")

    def __init__(self, rows, key, codec, cols):
        self.rows, self.key, self.codec, self.cols = rows, key, codec, cols
        self.first = self.end = self.pos = self._views = None
        self.unique = False
        if key is None or not codec.exact or key.shape[0] == 0:
            return
        m = key.shape[0]
        low, high = torch.stack([key[0], key[-1]]).tolist()
        direct = DIRECT_ADDRESSING and high - low + 1 <= 4 * m + 4096 and \
            -_DIRECT_BOUND < low and high < _DIRECT_BOUND
        if not direct:
            self.unique = m == 1 or bool((key[1:] != key[:-1]).all())
            return
        size = high - low + 1
        self.base, self.slots = low - 1, size + 2  # slot of key value v: v - base
        count = torch.zeros(size + 2, dtype=torch.int64, device=key.device)
        count[1:-1] = torch.bincount(key - low, minlength=size)
        self.end = torch.cumsum(count, 0)
        self.first = self.end - count
        self.unique = bool(count.max() <= 1)
        if self.unique:
            self.pos = torch.full((size + 2,), -1, dtype=torch.int64, device=key.device)
            self.pos[key - self.base] = rows

    def slot(self, key, ok):
        """Direct-addressing slot of each probe key (an empty slot when out of range)."""
        at = torch.sub(key, self.base).clamp_(0, self.slots - 1)
        return at if ok is None else torch.where(ok, at, 0)

    def probe(self, key, ok):
        """``(lo, hi)``: the rows with ``key`` are ``rows[lo:hi]``."""
        if self.first is None:
            lo = torch.searchsorted(self.key, key, side="left")
            hi = torch.searchsorted(self.key, key, side="right")
            return lo, (hi if ok is None else torch.where(ok, hi, lo))
        at = self.slot(key, ok)
        return torch.index_select(self.first, 0, at), torch.index_select(self.end, 0, at)

    def match_one(self, k: int):
        """The run rows whose key is ``k``, for an exact index on the CPU: ``(row, None)`` for
        exactly one (``row`` an int), ``(-1, rows)`` for several (a view of ``rows``), or
        ``(-1, None)`` for none. Read through numpy views of the index (built once), so a
        one-row probe (a chain's delta) costs a host read instead of 5-10 torch calls."""
        v = self._views
        if v is None:
            v = self._views = tuple(None if t is None else t.numpy() for t in
                                    (self.pos, self.first, self.end, self.key, self.rows))
        pos, first, end, key, rows = v
        if pos is not None or first is not None:
            at = k - self.base
            if not 0 <= at < self.slots:
                return -1, None
            if pos is not None:
                return int(pos[at]), None
            lo, hi = int(first[at]), int(end[at])
        else:
            lo = int(key.searchsorted(k, "left"))
            hi = int(key.searchsorted(k, "right"))
        if hi - lo == 1:
            return int(rows[lo]), None
        return -1, (self.rows.narrow(0, lo, hi - lo) if hi > lo else None)

    def probe_unique(self, key, ok):
        """``(q, r)`` for a unique exact index: probe row q matches index row r (its only
        match); ``q`` None means every probe row matched, in order (r aligned with them)."""
        if self.pos is not None:
            r = torch.index_select(self.pos, 0, self.slot(key, ok))
            hit = r >= 0
        else:
            m = self.key.shape[0]
            at = torch.searchsorted(self.key, key).clamp_(max=m - 1)
            hit = torch.index_select(self.key, 0, at) == key
            if ok is not None:
                hit &= ok
            r = torch.index_select(self.rows, 0, at)
        # (nonzero straight away: a recursive join's probes miss often, so counting first
        # would rarely spare it)
        q = torch.nonzero(hit, as_tuple=True)[0]
        if q.shape[0] == key.shape[0]:
            return None, r
        return q, torch.index_select(r, 0, q)


def index_of(run, spec: AtomSpec) -> Index:
    idx = run.indexes.get(spec.cache_key)
    if idx is None:
        idx = run.indexes[spec.cache_key] = _build_index(run, spec)
    return idx


def _build_index(run, spec: AtomSpec) -> Index:
    rows = None
    if spec.lits or spec.eqs:
        mask = torch.ones(run.n, dtype=torch.bool, device=run.key.device)
        for pos, value in spec.lits:
            mask &= run.cols[pos] == value
        for p, q in spec.eqs:
            c = run.cols[p] == run.cols[q]
            mask &= c if c.dim() == 1 else c.reshape(run.n, -1).all(1)
        rows = torch.nonzero(mask).reshape(-1)
    if not spec.key_pos:
        rows = torch.arange(run.n, device=run.key.device) if rows is None else rows
        return Index(rows, None, None, [])
    cols = [run.cols[p] if rows is None else run.cols[p][rows] for p in spec.key_pos]
    codec = KeyCodec.fit(cols)
    key, _ = codec.encode(cols)
    key, perm = torch.sort(key, stable=True)
    rows = perm if rows is None else rows[perm]
    return Index(rows, key, codec, [run.cols[p] for p in spec.key_pos])


def _matches(table: Table, run, spec: AtomSpec):
    """``(q, r)``: table row q matches run row r; ``q`` None: row i matches ``r[i]``, for
    every row i of the table (nothing to gather on the table side)."""
    idx = index_of(run, spec)
    dev = idx.rows.device
    if idx.key is None:  # no join key: cross product with the selected rows
        m = idx.rows.shape[0]
        if table.n == 1:
            return torch.zeros(m, dtype=torch.int64, device=dev), idx.rows
        q = torch.repeat_interleave(torch.arange(table.n, device=dev), m)
        return q, idx.rows.repeat(table.n)
    probe = [table.cols[v] for v in spec.key_vars]
    if idx.codec.mode == "single" and probe[0].dtype == torch.int64:
        key, ok = probe[0], None  # the column is its key
    else:
        key, ok = idx.codec.encode(probe)
    if idx.unique:
        return idx.probe_unique(key, ok)
    lo, hi = idx.probe(key, ok)
    q, r = expand(lo, hi)
    r = torch.index_select(idx.rows, 0, r)
    if not idx.codec.exact:
        same = rows_equal(probe, q, idx.cols, r)
        q, r = q[same], r[same]
    return q, r


def join(prov, table: Table, runs: list, spec: AtomSpec, live=None) -> Table:
    """Rows of ``table`` extended with every matching row of the relation (tags ⊗);
    with ``live``, only those columns are materialized."""
    parts = []
    for run in runs:
        if table.n == 1 and spec.key_vars:
            one = _join_one(prov, table, run, spec, live)
            if one is not None:
                parts.append(one)
                continue
        q, r = _matches(table, run, spec)
        if q is None:
            cols = {k: v for k, v in table.cols.items() if live is None or k in live}
            left = table.tags
        else:
            cols = {k: torch.index_select(v, 0, q) for k, v in table.cols.items()
                    if live is None or k in live}
            left = take_tags(prov, table.tags, q)
        for var, pos in spec.new_vars.items():
            if live is None or var in live:
                cols[var] = torch.index_select(run.cols[pos], 0, r)
        tags = left if run.tags is None else mul_tags(prov, left, take_tags(prov, run.tags, r))
        parts.append(Table(cols, tags, int(r.shape[0])))
    return parts[0] if len(parts) == 1 else concat_tables(prov, parts)


def _join_one(prov, table: Table, run, spec: AtomSpec, live):
    """``join`` of a one-row table with one run whose index is exact on a single int column
    (None for other indexes): the matches are read as Python ints, and one match becomes
    one-row views (``narrow``) of the run's columns, no gathers."""
    idx = index_of(run, spec)
    if idx.key is None or idx.codec.mode != "single" or not idx.rows.is_cpu:
        return None
    probe = table.cols[spec.key_vars[0]]
    if probe.dtype != torch.int64:
        return None
    r, several = idx.match_one(probe.item())
    if several is not None:  # (a fan-out: the table's row repeated, the run's rows gathered)
        m = int(several.shape[0])
        cols = {k: v.repeat(m) for k, v in table.cols.items() if live is None or k in live}
        for var, pos in spec.new_vars.items():
            if live is None or var in live:
                cols[var] = torch.index_select(run.cols[pos], 0, several)
        left = None if table.tags is None else \
            prov.gather(table.tags, torch.zeros(m, dtype=torch.int64))
        return Table(cols, mul_tags(prov, left, take_tags(prov, run.tags, several)), m)
    m = 1 if r >= 0 else 0
    r = max(r, 0)
    cols = {k: v if m else v.narrow(0, 0, 0) for k, v in table.cols.items()
            if live is None or k in live}
    for var, pos in spec.new_vars.items():
        if live is None or var in live:
            cols[var] = run.cols[pos].narrow(0, r, m)
    left = table.tags if m else take_tags(prov, table.tags, torch.zeros(0, dtype=torch.int64))
    if run.tags is None:
        tags = left
    elif type(prov).gather is Provenance.gather:
        tags = mul_tags(prov, left, run.tags.narrow(0, r, m))
    else:
        tags = mul_tags(prov, left, prov.gather(run.tags, torch.arange(r, r + m)))
    return Table(cols, tags, m)


def antijoin(prov, table: Table, runs: list, spec: AtomSpec) -> Table:
    """Rows of ``table`` without a match; under a probabilistic semiring the tag of a matched
    row is multiplied by the negation of the ⊕ of its matches' tags."""
    if not spec.key_pos and table.n != 1:
        # no key: one existence test, its factor shared by every row
        unit = antijoin(prov, Table({}, None, 1), runs, spec)
        if unit.n == 0:
            return table.take(prov, torch.zeros(0, dtype=torch.int64))
        if unit.tags is None:
            return table
        factor = prov.gather(unit.tags, torch.zeros(table.n, dtype=torch.int64))
        return Table(table.cols, mul_tags(prov, table.tags, factor), table.n)
    dev = next(iter(table.cols.values())).device if table.cols else None
    qs, match_tags = [], []
    for run in runs:
        q, r = _matches(table, run, spec)
        if q is None:
            q = torch.arange(table.n, device=r.device)
        qs.append(q)
        match_tags.append(gather_tags(prov, run.tags, r))
    q = torch.cat(qs) if qs else torch.zeros(0, dtype=torch.int64, device=dev)
    tags = cat_tags(prov, match_tags, [x.shape[0] for x in qs], dev)
    if tags is None and bool(prov.is_zero(prov.negate(prov.one(1, dev))).all()):
        keep = torch.ones(table.n, dtype=torch.bool, device=dev)
        keep[q] = False  # matched certainly: the row's tag becomes zero
        return table.where(prov, keep)
    if tags is None:
        tags = prov.one(q.shape[0], dev)
    q, order = torch.sort(q, stable=True)
    tags = prov.gather(tags, order)
    new = torch.ones(q.shape[0], dtype=torch.bool, device=dev)
    new[1:] = q[1:] != q[:-1]
    starts = torch.nonzero(new).reshape(-1)
    hit = q[starts]
    neg = prov.negate(prov.add_segments(tags, starts, int(starts.shape[0])))
    row_tags = prov.one(table.n, dev) if table.tags is None else table.tags.clone()
    row_tags[hit] = prov.mul(prov.gather(row_tags, hit), neg)
    out = Table(table.cols, row_tags, table.n)
    out = out.where(prov, ~prov.is_zero(row_tags))
    out.tags = prov.canonical(out.tags)
    return out


def concat_tables(prov, parts: list) -> Table:
    if len(parts) == 1:
        return parts[0]
    names = list(parts[0].cols)
    cols = {k: torch.cat([p.cols[k] for p in parts]) for k in names}
    tags = cat_tags(prov, [p.tags for p in parts], [p.n for p in parts])
    return Table(cols, tags, sum(p.n for p in parts))
