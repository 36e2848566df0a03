"""A membership table over a packed key range: O(batch) dedup for relations of small range.

Used while tags carry no information (every tag one and the semiring says one
absorbs, e.g. bool). One int32 slot per key: 0 while absent, ``STORED`` once
stored. A batch adds 1 at each of its keys (``index_add_``), reads its slots
back and sets them all to ``STORED``: a row is new and the only one with its key
iff it read 1 — membership and duplicates inside the batch in one pass, no
sort. That is six torch calls whatever the batch size (deep recursions with
small deltas live on that constant: bench/fixpoint_overhead.py).
"""
from __future__ import annotations

import torch

from .keys import KeyCodec

DENSE_LIMIT = 1 << 24  # slots of the table (4 bytes each)
STORED = 1 << 30       # slot value of a stored key; a batch (< 2**30 rows) adds at most its size


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
        self.slots = torch.zeros(size, dtype=torch.int32)  # 0: absent, STORED: stored
        self._ones = torch.ones(1024, dtype=torch.int32)  # sliced, grown on demand

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
        for c, low, high in zip(cols, self.lows, self.highs):
            lo, hi = torch.aminmax(c)  # (two .item() cost less than one stack + tolist)
            if lo.item() < low or hi.item() > high:
                return None
        key = cols[-1]  # stride 1
        for c, stride in zip(cols[:-1], self.codec.strides):
            key = torch.add(key, c, alpha=stride)
        return key - self.offset if self.offset else key

    def insert_new(self, key: torch.Tensor):
        """``(rows, keys)``: the batch rows whose key is not stored yet (one row per key) and
        their keys, or ``(None, key)`` when that is every row (callers skip their gathers);
        stores them."""
        n = key.shape[0]
        slots = self.slots
        if n == 1:
            if int(torch.index_select(slots, 0, key)):
                return key[:0], key[:0]
            slots.index_fill_(0, key, STORED)
            return None, key
        if self._ones.shape[0] < n:
            self._ones = torch.ones(2 * n, dtype=torch.int32)
        slots.index_add_(0, key, self._ones[:n])
        seen = torch.index_select(slots, 0, key)  # 1: new and alone; < STORED: new
        alone = torch.eq(seen, 1)
        c = int(torch.count_nonzero(alone))
        if c == n:
            rows = None
        else:
            new = torch.lt(seen, STORED)
            if int(torch.count_nonzero(new)) == c:  # no key twice among the new rows
                rows = torch.nonzero(alone, as_tuple=True)[0]
            else:  # a key several times: its rows claim its slot, the last write wins
                rows = torch.nonzero(new, as_tuple=True)[0]
                fresh = torch.index_select(key, 0, rows)
                ids = torch.arange(rows.shape[0], dtype=torch.int32)
                slots.index_put_((fresh,), ids)
                rows = rows[torch.eq(torch.index_select(slots, 0, fresh), ids)]
        slots.index_fill_(0, key, STORED)  # stored slots stay STORED, new ones become it
        if rows is None:
            return None, key
        return rows, torch.index_select(key, 0, rows)

    def sorted_rows(self):
        """``(cols, key)``: every stored row in key order (lexicographic), read off the bitmap —
        O(size) instead of sorting O(n log n)."""
        key = torch.nonzero(self.slots, as_tuple=True)[0]
        cols, rest, last = [], key, len(self.lows) - 1
        for j, (low, stride) in enumerate(zip(self.lows, self.codec.strides)):
            v = rest if stride == 1 else torch.div(rest, stride, rounding_mode="floor")
            if j < last:  # the rest of the key (cheaper than a remainder over the whole key)
                rest = rest - v * stride if stride != 1 else torch.zeros_like(rest)
            cols.append(v + low if low else v)
        return cols, key

    def mark(self, key: torch.Tensor):
        """Mark ``key`` as stored."""
        self.slots.index_fill_(0, key, STORED)
