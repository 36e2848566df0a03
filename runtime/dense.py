"""A membership bitmap over a packed key range: O(batch) dedup for relations of small range.

Used while tags carry no information (every tag one and the semiring says one
absorbs, e.g. bool): a batch's rows are new iff their bit is free; one gather,
a claim table for duplicates inside the batch (no sort), one scatter. A batch
costs a fixed dozen torch calls whatever its size: deep recursions with small
deltas live on that constant (bench/fixpoint_overhead.py).
"""
from __future__ import annotations

import torch

from .keys import KeyCodec, positions

DENSE_LIMIT = 1 << 24  # slots of the bitmap (1 byte + 4 for the claim table each)


def _ranges(cols):
    if not cols or cols[0].numel() == 0:
        return [0] * len(cols), [0] * len(cols)
    mm = torch.stack([torch.stack([c.min(), c.max()]) for c in cols]).tolist()
    return [a for a, _ in mm], [b for _, b in mm]


def _strides(lows, highs):
    out, total = [], 1
    for lo, hi in reversed(list(zip(lows, highs))):
        out.append(total)
        total *= hi - lo + 1
    return list(reversed(out))


class DenseSet:
    def __init__(self, lows, highs):
        # always packed (even for one column) so that ``encode`` reports rows out of range
        self.codec = KeyCodec("packed", lows, _strides(lows, highs), highs) if lows \
            else KeyCodec("empty")
        size = 1
        for lo, hi in zip(lows, highs):
            size *= hi - lo + 1
        self.lows, self.highs, self.size = list(lows), list(highs), size
        self.offset = sum(lo * st for lo, st in zip(lows, self.codec.strides))
        # ``free[k]``: no stored row has key k (the complement of membership, so that testing a
        # batch is one gather, without a negation)
        self.free = torch.ones(size, dtype=torch.bool)
        self.claim = None  # int32 scratch table, allocated on first use
        self._ids = torch.zeros(0, dtype=torch.int32)  # 0, 1, 2, ... (sliced, grown on demand)

    @staticmethod
    def eligible(cols) -> bool:
        return all(c.dim() == 1 and c.dtype == torch.int64 for c in cols)

    @staticmethod
    def fit(cols, old: "DenseSet | None" = None, slack: bool = False) -> "DenseSet | None":
        """A bitmap covering ``cols`` (and ``old``'s range), or None if it would be too big."""
        lows, highs = _ranges(cols)
        if old is not None:
            lows = [min(a, b) for a, b in zip(lows, old.lows)]
            highs = [max(a, b) for a, b in zip(highs, old.highs)]
        if slack:
            widths = [(h - l + 1) // 2 + 8 for l, h in zip(lows, highs)]
            lows = [max(l - w, 0) if l >= 0 else l - w for l, w in zip(lows, widths)]
            highs = [h + w for h, w in zip(highs, widths)]
        # non-negative values start at 0 when that at most doubles the range: keys then need no
        # offset (one torch call less per batch)
        lows = [0 if 0 <= l <= h - l + 9 else l for l, h in zip(lows, highs)]
        size = 1
        for lo, hi in zip(lows, highs):
            size *= hi - lo + 1
        if size > DENSE_LIMIT and slack:
            return DenseSet.fit(cols, old, slack=False)
        return DenseSet(lows, highs) if size <= DENSE_LIMIT else None

    def keys(self, cols, n):
        """Packed keys of a batch, or None when some value lies outside the bitmap's range.

        One ``aminmax`` per column and a single host sync for the range test; the key is
        ``Σ col·stride − offset`` (k ops for k columns)."""
        if not cols:
            return torch.zeros(n, dtype=torch.int64)
        if len(cols) == 1:
            lo, hi = torch.aminmax(cols[0])
            if lo.item() < self.lows[0] or hi.item() > self.highs[0]:
                return None
        else:
            mm = torch.stack([m for c in cols for m in torch.aminmax(c)]).tolist()
            for j, (low, high) in enumerate(zip(self.lows, self.highs)):
                if mm[2 * j] < low or mm[2 * j + 1] > high:
                    return None
        key = cols[-1]  # stride 1
        for c, stride in zip(cols[:-1], self.codec.strides):
            key = torch.add(key, c, alpha=stride)
        return key - self.offset if self.offset else key

    def insert_new(self, key: torch.Tensor):
        """``(rows, keys)``: the batch rows whose key is not yet set (first occurrence each) and
        their keys, or ``(None, key)`` when that is every row (callers skip their gathers);
        sets them.

        Duplicates inside the batch are settled by a claim table (each row writes its index
        at its key; one write per key survives) — O(batch), no sort.
        """
        n = key.shape[0]
        new = torch.index_select(self.free, 0, key)
        if n > 1:
            if self.claim is None:
                self.claim = torch.empty(self.size, dtype=torch.int32)
            if self._ids.shape[0] < n:
                self._ids = torch.arange(max(n, 2 * self._ids.shape[0], 1024), dtype=torch.int32)
            ids = self._ids[:n]
            self.claim.index_put_((key,), ids)
            new.logical_and_(torch.index_select(self.claim, 0, key) == ids)
        rows = positions(new)
        if rows is None:
            self.free.index_fill_(0, key, False)
            return None, key
        key = torch.index_select(key, 0, rows)
        if rows.shape[0]:
            self.free.index_fill_(0, key, False)
        return rows, key

    def sorted_rows(self):
        """``(cols, key)``: every stored row in key order (lexicographic), read off the bitmap —
        O(size) instead of sorting O(n log n)."""
        key = torch.nonzero(self.free.logical_not(), as_tuple=True)[0]
        cols = []
        for j, (low, high, stride) in enumerate(zip(self.lows, self.highs, self.codec.strides)):
            v = key if stride == 1 else torch.div(key, stride, rounding_mode="floor")
            if j > 0:
                v = torch.remainder(v, high - low + 1)
            cols.append(v + low if low else v)
        return cols, key

    def mark(self, key: torch.Tensor):
        """Mark ``key`` (of distinct rows) as stored."""
        self.free.index_fill_(0, key, False)
