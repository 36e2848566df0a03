"""Storage of a full relation: a log-structured set of sorted runs (an LSM / binary counter).

Adding a batch dedups it, tests membership against each run with one
``searchsorted`` (so the cost is O(|batch| · log |full|), not O(|full|)), appends
the new rows as a run, and merges runs of similar size; there are O(log n)
runs and every row is merged O(log n) times. The batch's new (or re-tagged) rows
are returned as the delta for semi-naive evaluation.
"""
from __future__ import annotations

import torch

from .dense import DenseSet
from .keys import (INT64_MAX, INT64_MIN, KeyCodec, expand, lookup, merge_order, positions,
                   rows_equal, sort_unique)
from .provenance.base import gather_tags, materialize
from .table import Run, first_last, take_tags


def empty_column(ty: str, device=None) -> torch.Tensor:
    if ty == "float":
        return torch.zeros(0, dtype=torch.float64, device=device)
    if ty.startswith("tensor"):
        dims = [int(d) for d in ty[ty.index("[") + 1:ty.rindex("]")].split(",") if d.strip()]
        return torch.zeros([0] + dims, dtype=torch.float32, device=device)
    return torch.zeros(0, dtype=torch.int64, device=device)


SMALL_RUN = 1024  # sorted mode: runs below this many rows are merged into the previous one
SCAN_FACTOR = 16  # dense mode: consolidate by scanning the bitmap when it has ≤ this many slots per row
# dense mode: at most this many unmerged deltas; a deep recursion nobody reads whole (a
# counter) otherwise keeps one run per iteration: 300k tiny runs, hundreds of MB
LOOSE_LIMIT = 64


FILTER_LIMIT = 1 << 24  # sorted mode: key range (slots, 1 byte each) of the membership filter
# ... and at most this many slots per row (stored plus batch) beyond the first 2^20: building
# a filter costs its range, so sparse keys (ids far apart) would rebuild ever larger filters
# (up to 16 MB each) for a few rows and never gain from them
FILTER_DENSITY = 4096


class KeyFilter:
    """Which keys of a range ``[lo, hi]`` are stored: lets a batch of keys none of which is
    stored skip the per-run binary searches (the common case while a relation grows)."""

    def __init__(self, lo: int, hi: int):
        self.lo, self.hi = lo, hi
        self.bits = torch.zeros(hi - lo + 1, dtype=torch.bool)
        self.view = self.bits.numpy()  # the same memory: one key is read or set through it

    def any(self, key) -> bool:
        """Whether some key of ``key`` (within ``[lo, hi]``) is stored."""
        if key.shape[0] == 1:
            return bool(self.view[key.item() - self.lo])
        return bool(torch.count_nonzero(
            torch.index_select(self.bits, 0, key - self.lo if self.lo else key)))

    def mark(self, key):
        if key.shape[0] == 1:
            self.view[key.item() - self.lo] = True
        else:
            self.bits.index_fill_(0, key - self.lo if self.lo else key, True)


class StoredRelation:
    """The full contents of one relation, with the semiring that combines duplicate tags."""

    def __init__(self, name: str, types: tuple, prov, device=None):
        self.name, self.types, self.prov, self.device = name, tuple(types), prov, device
        self.codec: KeyCodec | None = None
        self.dense: DenseSet | None = None  # while set: bitmap dedup, runs unsorted
        self.fresh = True  # nothing stored yet: the first batch picks the strategy
        self.runs: list[Run] = []
        self._loose = 0  # dense mode: the last runs are deltas not merged yet (merged on read)
        self._filter: KeyFilter | None = None  # sorted mode: which exact keys are stored
        self._empty: Run | None = None
        self.version = 0  # bumped on every change; lets callers cache per-content results

    # ---- reading ----------------------------------------------------------------------
    def __len__(self):
        return sum(r.n for r in self.runs)

    def empty_run(self) -> Run:
        """An empty run (shared: it never changes)."""
        if self._empty is None:
            self._empty = Run.empty([empty_column(t, self.device) for t in self.types], self.device)
        return self._empty

    def snapshot(self) -> list[Run]:
        """The runs as they are now (joins iterate over them)."""
        if self._loose:
            self._settle()
        return list(self.runs) if self.runs else [self.empty_run()]

    def consolidated(self) -> Run:
        """All rows as one run sorted by key (merging the runs once)."""
        if self.dense is not None:
            if len(self.runs) > 1 or (self.runs and not self.runs[0].sorted):
                n = sum(r.n for r in self.runs)
                if self.types and self.dense.size <= SCAN_FACTOR * n:
                    cols, key = self.dense.sorted_rows()  # the bitmap is the sorted order
                else:
                    run = self._cat(self.runs)
                    key, perm = torch.sort(run.key)
                    cols = [torch.index_select(c, 0, perm) for c in run.cols]
                self.runs = [Run(cols, None, key)]
                self._loose = 0
            return self.runs[0] if self.runs else self.empty_run()
        while len(self.runs) > 1:
            b = self.runs.pop()
            self.runs[-1] = self._merge(self.runs[-1], b)
        return self.runs[0] if self.runs else self.empty_run()

    def in_value_order(self) -> bool:
        """Whether ``consolidated()`` rows are in lexicographic order of their values: int/bool
        columns under an order-preserving key (one column, or a mixed-radix packing)."""
        if any(t not in ("int", "bool") for t in self.types):
            return False
        return self.dense is not None or self.codec is None or self.codec.exact

    # ---- writing ----------------------------------------------------------------------
    def add(self, cols: list, tags, n: int) -> Run:
        """Insert rows (duplicates ⊕-combined); return the delta: rows new or re-tagged."""
        prov = self.prov
        if n == 0:
            return self.empty_run()
        # A float column keys -0.0 and 0.0 as one value (keys.py); store it as +0.0, inputs and
        # derived rows alike, so which one is kept (and printed) does not depend on which came
        # first. (A tensor column's elements are data, not keys, and stay as given.)
        cols = [c + 0.0 if ty == "float" else c for c, ty in zip(cols, self.types)]
        if tags is None and prov.one_is_absorbing and (self.fresh or self.dense is not None):
            delta = self._add_dense(cols, n)
            if delta is not None:
                return delta
        self._leave_dense()
        self.fresh = False
        if self.codec is None:
            self.codec = KeyCodec.fit(cols, slack=True)
        key = self.codec.encode_checked(cols, n, self.device)
        if key is None:
            self._recode(self.codec.widened(cols))
            key = self.codec.encode_checked(cols, n, self.device)
        m, cols = n, list(cols)
        if n > 1:  # (one row is sorted and distinct as it is)
            perm, key_sorted, starts = self._sort_batch(cols, n, key)
            m = n if starts is None else int(starts.shape[0])
            if m == n:
                idx, key, tags = perm, key_sorted, take_tags(prov, tags, perm)
            else:
                idx, key = perm[starts], key_sorted[starts]
                if tags is not None:
                    tags = prov.add_segments(prov.gather(tags, perm), starts, m)
            cols = [torch.index_select(c, 0, idx) for c in cols]
        lo, hi = first_last(key)
        seen = None  # batch rows found in some run
        moved_rows, moved_tags = [], []
        present = self._key_filter(lo, hi, m)
        # no batch key stored anywhere: no run can hold one (one gather instead of a probe per run)
        runs = self.runs if present is None or present.any(key) else ()
        for run in runs:
            if run.n == 0:
                continue
            first, last = run.bounds
            if first > hi or last < lo:
                continue  # key ranges apart: nothing of the batch is in this run
            found, pos = self._find(run, key, cols)
            if not (tags is None and run.tags is None and prov.one_is_absorbing):
                if not int(torch.count_nonzero(found)):
                    continue  # (counting is cheaper than nonzero, and "none" is common)
                hit = torch.nonzero(found, as_tuple=True)[0]
                self._update_tags(run, pos[hit], hit, tags, moved_rows, moved_tags)
            seen = found if seen is None else seen.logical_or_(found)
        fresh = None if seen is None else positions(seen.logical_not_())
        if fresh is None:
            fresh, delta = None, Run(cols, tags, key)  # every row is new: the batch is the delta
            delta._bounds = (lo, hi)
        elif fresh.shape[0]:
            delta = Run([torch.index_select(c, 0, fresh) for c in cols],
                        take_tags(prov, tags, fresh), torch.index_select(key, 0, fresh))
        else:
            delta = None
        if delta is not None:
            self._push(delta)
            if present is not None:
                present.mark(delta.key)
        if moved_rows:
            out = materialize(prov, tags, m, self.device).clone()
            moved = torch.cat(moved_rows)
            out[moved] = prov.cat(moved_tags)
            fresh = fresh if fresh is not None else torch.arange(m, device=key.device)
            rows = torch.sort(torch.cat([moved, fresh])).values  # key order: ``key`` is sorted
            delta = Run([c[rows] for c in cols], prov.gather(out, rows), key[rows])
        if delta is None:
            return self.empty_run()
        self.version += 1
        return delta

    def _sort_batch(self, cols, n, key):
        """``sort_unique`` of a batch, with ``starts`` None when its rows are distinct (exact
        keys: a count of key changes says so without building the starts)."""
        if not self.codec.exact or n == 1:
            perm, key_sorted, starts = sort_unique(self.codec, cols, n, self.device, key)
            return perm, key_sorted, None if starts.shape[0] == n else starts
        key_sorted, perm = torch.sort(key, stable=True)
        step = torch.ne(key_sorted[1:], key_sorted[:-1])
        if int(torch.count_nonzero(step)) == n - 1:
            return perm, key_sorted, None
        starts = torch.cat([torch.zeros(1, dtype=torch.int64, device=key.device),
                            torch.nonzero(step, as_tuple=True)[0] + 1])
        return perm, key_sorted, starts

    def _key_filter(self, lo: int, hi: int, rows: int):
        """The membership filter over exact keys, covering ``[lo, hi]`` and every stored key, or
        None when keys are hashed or their range is wider than ``FILTER_LIMIT`` (or than
        ``FILTER_DENSITY`` slots per row; ``rows``: the batch's)."""
        f = self._filter
        if f is not None and f.lo <= lo and hi <= f.hi:
            return f
        if not self.codec.exact:
            return None
        for run in self.runs:
            if run.n:
                first, last = run.bounds
                lo, hi = min(lo, first), max(hi, last)
                rows += run.n
        width = (hi - lo + 1) // 2 + 8  # slack: the range may grow a little every iteration
        # (clamped to int64: keys, e.g. float bits near INT64_MIN, are offset by ``lo``)
        lo = max(lo - width, 0) if lo >= 0 else max(lo - width, INT64_MIN)
        hi = min(hi + width, INT64_MAX)
        if hi - lo + 1 > min(FILTER_LIMIT, max(FILTER_DENSITY * rows, 1 << 20)):
            self._filter = None
            return None
        f = self._filter = KeyFilter(lo, hi)
        for run in self.runs:
            if run.n:
                f.mark(run.key)
        return f

    def load_sorted(self, cols: list, key, codec: KeyCodec):
        """Replace the contents by distinct, certain rows already sorted by ``key`` under the
        exact ``codec`` (the native fixpoint's output): one sorted run, nothing re-sorted."""
        self.dense, self._loose, self._filter = None, 0, None
        self.fresh, self.codec = False, codec
        self.runs = [Run(list(cols), None, key)] if key.shape[0] else []
        self.version += 1

    # ---- dense mode -------------------------------------------------------------------
    def _add_dense(self, cols, n):
        """Bitmap dedup; None when the batch does not fit the bitmap (then: sorted runs).

        The delta becomes a run as it is (its columns are the batch's when every row is new:
        no gather, no copy); deltas are merged only when the full relation is read."""
        if self.dense is None:
            if not DenseSet.eligible(cols):
                return None
            dense = DenseSet.fit(cols, rows=n)
            if dense is None:
                return None
            self._rebuild(dense)
        key = self.dense.keys(cols, n)
        if key is None:  # values outside the bitmap: widen it
            dense = DenseSet.fit(cols, self.dense, slack=True, rows=len(self) + n) \
                if DenseSet.eligible(cols) else None
            if dense is None:
                return None
            self._rebuild(dense)
            key = self.dense.keys(cols, n)
        self.fresh = False
        rows, key = self.dense.insert_new(key)
        if rows is not None:
            if rows.shape[0] == 0:
                return self.empty_run()
            cols = [torch.index_select(c, 0, rows) for c in cols]
        run = Run(list(cols), None, key, sorted=False)
        self.runs.append(run)
        self._loose += 1
        if self._loose >= LOOSE_LIMIT:
            self._settle()  # copies into new runs: ``run``, the caller's delta, stays as it is
        self.version += 1
        return run

    def _settle(self):
        """Merge the loose deltas into one run, then runs of similar size (binary counter),
        so joins over the full relation see O(log n) runs."""
        if self._loose > 1:
            tail = self.runs[-self._loose:]
            del self.runs[-self._loose:]
            self.runs.append(self._cat(tail))
        self._loose = 0
        while len(self.runs) >= 2 and self.runs[-2].n <= 2 * self.runs[-1].n:
            b = self.runs.pop()
            self.runs[-1] = self._cat([self.runs[-1], b])

    def _rebuild(self, dense: DenseSet):
        """Re-key the stored rows for a wider bitmap."""
        old = self._cat(self.runs) if self.runs else None
        self.dense, self.runs, self._loose = dense, [], 0
        if old is not None and old.n:
            key = dense.keys(old.cols, old.n)
            dense.mark(key)
            self.runs = [Run(old.cols, None, key, sorted=False)]

    def _leave_dense(self):
        """Switch to sorted runs for good (tags appeared, or the range grew too wide)."""
        if self.dense is None:
            return
        run = self.consolidated()
        self.dense, self._loose = None, 0
        self.codec, self._filter = KeyCodec.fit(run.cols, slack=True), None
        key, _ = self.codec.encode(run.cols, run.n, self.device)
        if not self.codec.exact:
            key, perm = torch.sort(key, stable=True)
            run = Run([c[perm] for c in run.cols], run.tags, key)
        self.runs = [Run(run.cols, run.tags, key)] if run.n else []

    def _cat(self, runs):
        if len(runs) == 1:
            return runs[0]
        cols = [torch.cat(c) for c in zip(*(r.cols for r in runs))] if runs[0].cols else []
        return Run(cols, None, torch.cat([r.key for r in runs]), sorted=False)

    # ---- internals --------------------------------------------------------------------
    def _find(self, run: Run, key, cols):
        """Which batch rows (distinct, sorted) already are in ``run``, and where."""
        if self.codec.exact:
            return lookup(run.key, key)
        lo = torch.searchsorted(run.key, key, side="left")
        hi = torch.searchsorted(run.key, key, side="right")
        q, r = expand(lo, hi)
        eq = rows_equal(cols, q, run.cols, r)
        found = torch.zeros(key.shape[0], dtype=torch.bool, device=key.device)
        pos = torch.zeros_like(key)
        found[q[eq]] = True
        pos[q[eq]] = r[eq]
        return found, pos

    def _update_tags(self, run: Run, pos, hit, tags, moved_rows, moved_tags):
        """⊕ the batch tags of ``hit`` rows into ``run`` at ``pos``; collect the rows whose
        tag moved (not saturated) and their new tags."""
        prov = self.prov
        old = materialize(prov, gather_tags(prov, run.tags, pos), pos.shape[0], self.device)
        new = materialize(prov, gather_tags(prov, tags, hit), hit.shape[0], self.device)
        combined = prov.add(old, new)
        moved = torch.nonzero(~prov.is_saturated(old, combined)).reshape(-1)
        if moved.shape[0] == 0:
            return
        run.tags = materialize(prov, run.tags, run.n, self.device).clone()
        run.tags[pos[moved]] = prov.gather(combined, moved)
        moved_rows.append(hit[moved])
        moved_tags.append(prov.gather(combined, moved))

    def _push(self, run: Run):
        """Append a run, then merge runs of similar size (binary counter) and runs below
        ``SMALL_RUN`` rows: each run costs every later batch a membership probe (a few torch
        calls), while merging a small run costs little more than one."""
        self.runs.append(run)
        while len(self.runs) >= 2 and (self.runs[-2].n <= 2 * self.runs[-1].n
                                       or self.runs[-2].n < SMALL_RUN):
            b = self.runs.pop()
            self.runs[-1] = self._merge(self.runs[-1], b)

    def _merge(self, a: Run, b: Run) -> Run:
        """Merge two sorted runs with disjoint rows (``a``'s rows first among equal keys)."""
        if a.n == 0:
            return b
        if b.n == 0:
            return a
        (a_lo, a_hi), (b_lo, b_hi) = a.bounds, b.bounds
        if a_hi <= b_lo or b_hi < a_lo:
            # key ranges in order (a relation that grows at one end: a counter, a chain's
            # new ids): the merge is a concatenation, no sort and no gathers
            if b_hi < a_lo:
                a, b = b, a
            out = Run([torch.cat([x, y]) for x, y in zip(a.cols, b.cols)],
                      self._cat_tags(a, b), torch.cat([a.key, b.key]))
            out._bounds = (a.bounds[0], b.bounds[1])
            return out
        order, key = merge_order(a.key, b.key)

        def merged(x, y):
            return torch.index_select(torch.cat([x, y]), 0, order)

        cols = [merged(x, y) for x, y in zip(a.cols, b.cols)]
        tags = self._cat_tags(a, b)
        out = Run(cols, None if tags is None else take_tags(self.prov, tags, order), key)
        out._bounds = (min(a.bounds[0], b.bounds[0]), max(a.bounds[1], b.bounds[1]))
        return out

    def _cat_tags(self, a: Run, b: Run):
        """The tags of ``a`` then ``b`` (None when both are all one)."""
        if a.tags is None and b.tags is None:
            return None
        dev = a.key.device
        return self.prov.cat([materialize(self.prov, a.tags, a.n, dev),
                              materialize(self.prov, b.tags, b.n, dev)])

    def _recode(self, codec: KeyCodec):
        """Re-key every run under a wider codec (packed order is lexicographic, so runs stay
        sorted; switching to hashing re-sorts them)."""
        resort = codec.mode != self.codec.mode
        self.codec, self._filter = codec, None
        runs = []
        for run in self.runs:
            key, _ = codec.encode(run.cols, run.n, self.device)
            if resort:
                perm = torch.argsort(key, stable=True)
                run = Run([c[perm] for c in run.cols], gather_tags(self.prov, run.tags, perm),
                          key[perm])
            else:
                run = Run(run.cols, run.tags, key)
            runs.append(run)
        self.runs = runs
