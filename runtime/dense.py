"""A membership table over a packed key range: O(batch) dedup for relations of small range.

Used while tags carry no information (every tag one and the semiring says one
absorbs, e.g. bool). One int32 slot per key: 0 while absent, ``STORED`` once
stored. A batch adds 1 at each of its keys (``index_add_``), reads its slots
back and sets the new ones to ``STORED``: a row is new and the only one with its
key iff it read 1, stored iff it read at least ``STORED`` — membership and
duplicates inside the batch in one pass, no sort. That is six torch calls whatever the batch size (deep recursions with
small deltas live on that constant: bench/fixpoint_overhead.py).
"""
from __future__ import annotations

import torch

from .keys import INT64_MAX, INT64_MIN, KeyCodec, shifted_key

DENSE_LIMIT = 1 << 24  # slots of the table (4 bytes each)
# ... and, beyond the first 2^20, at most this many slots per row: a table costs its size to
# build, so sparse values (ids far apart) would rebuild ever larger tables (up to 64 MB, 10+
# ms each) for a handful of rows before leaving the bitmap anyway
DENSE_DENSITY = 4096
STORED = 1 << 30       # slot value of a stored key (plus the batch counts added to it since)
DRIFT_LIMIT = (1 << 31) - 1 - STORED - (1 << 24)  # rows added before stored slots are reset
LARGE_BATCH = 4096     # rows from which a batch first filters out stored rows


def _ranges(cols):
    if not cols or cols[0].numel() == 0:
        return [0] * len(cols), [0] * len(cols)
    mm = torch.stack([torch.stack([c.min(), c.max()]) for c in cols]).tolist()
    return [a for a, _ in mm], [b for _, b in mm]


def _widened(lows, highs, widths):
    """``(lows, highs, slots)`` of the ranges widened by ``widths`` on both sides."""
    # (clamped to int64: bounds are stored in the codec and compared with int64 values)
    lows = [max(l - w, 0) if l >= 0 else max(l - w, INT64_MIN) for l, w in zip(lows, widths)]
    highs = [min(h + w, INT64_MAX) for h, w in zip(highs, widths)]
    # non-negative values start at 0 when that at most doubles the range: keys then need no
    # offset (one torch call less per batch)
    lows = [0 if 0 <= l <= h - l + 9 else l for l, h in zip(lows, highs)]
    size = 1
    for lo, hi in zip(lows, highs):
        size *= hi - lo + 1
    return lows, highs, size


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
        # keys are ``Σ col·stride − offset`` when no step of that can leave int64 (checked on
        # the bounds, in Python ints), else ``Σ (col − low)·stride`` (large-magnitude values)
        self.offset = sum(lo * st for lo, st in zip(lows, self.codec.strides)) \
            if self.codec.offset_exact else None
        self.slots = torch.zeros(size, dtype=torch.int32)  # 0: absent, STORED: stored
        self._view = self.slots.numpy()  # the same memory (the table lives on the CPU)
        self._ones = torch.ones(1024, dtype=torch.int32)  # sliced, grown on demand
        self._drift = 0  # rows added since the stored slots were last reset to STORED

    @staticmethod
    def eligible(cols) -> bool:
        return all(c.dim() == 1 and c.dtype == torch.int64 for c in cols)

    @staticmethod
    def fit(cols, old: "DenseSet | None" = None, slack: bool = False,
            rows: int | None = None) -> "DenseSet | None":
        """A bitmap covering ``cols`` (and ``old``'s range), or None if it would be too big
        (more than ``DENSE_LIMIT`` slots, or, given the ``rows`` it is for, too sparse)."""
        limit = DENSE_LIMIT if rows is None else \
            min(DENSE_LIMIT, max(DENSE_DENSITY * rows, 1 << 20))
        lows, highs = _ranges(cols)
        if old is not None:
            lows = [min(a, b) for a, b in zip(lows, old.lows)]
            highs = [max(a, b) for a, b in zip(highs, old.highs)]
        widths = [(h - l + 1) // 2 + 8 if slack else 0 for l, h in zip(lows, highs)]
        while True:
            wl, wh, size = _widened(lows, highs, widths)
            if size <= limit or not any(widths):
                break
            # less slack rather than none: with none, a range that grows by one value per
            # iteration near the limit rebuilt (and zeroed) the whole table every iteration
            widths = [w // 2 for w in widths]
        return DenseSet(wl, wh) if size <= limit else None

    def keys(self, cols, n):
        """Packed keys of a batch, or None when some value lies outside the bitmap's range.

        One ``aminmax`` per column and a single host sync for the range test; the key is
        ``Σ col·stride − offset`` (k ops for k columns), or ``Σ (col − low)·stride`` when the
        former could overflow int64."""
        if not cols:
            return torch.zeros(n, dtype=torch.int64)
        for c, low, high in zip(cols, self.lows, self.highs):
            if n == 1:  # one row (a counter's delta): its value is its range
                lo = hi = c.item()
            else:
                lo, hi = (x.item() for x in torch.aminmax(c))  # (cheaper than stack + tolist)
            if lo < low or hi > high:
                return None
        if self.offset is None:
            return shifted_key(cols, self.lows, self.codec.strides)
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
        if n == 1:  # (a counter's or a chain's delta): one host read, the slot read and set
            k = key.item()  # through the numpy view, instead of three torch calls
            if self._view[k]:
                return key[:0], key[:0]
            self._view[k] = STORED
            return None, key
        if n >= LARGE_BATCH:
            return self._insert_large(key)
        if self._ones.shape[0] < n:
            self._ones = torch.ones(2 * n, dtype=torch.int32)
        self._drift += n
        if self._drift > DRIFT_LIMIT:  # stored slots crept up by their batch counts: reset them
            slots.masked_fill_(slots != 0, STORED)
            self._drift = n
        slots.index_add_(0, key, self._ones[:n])
        seen = torch.index_select(slots, 0, key)  # 1: new and alone; < STORED: new
        alone = torch.eq(seen, 1)
        c = int(torch.count_nonzero(alone))
        if c == n:
            slots.index_fill_(0, key, STORED)
            return None, key
        new = torch.lt(seen, STORED)
        if int(torch.count_nonzero(new)) == c:  # no key twice among the new rows
            rows = torch.nonzero(alone, as_tuple=True)[0]
            key = torch.index_select(key, 0, rows)
        else:  # a key several times: its rows claim its slot, the last write wins
            rows = torch.nonzero(new, as_tuple=True)[0]
            fresh = torch.index_select(key, 0, rows)
            ids = torch.arange(rows.shape[0], dtype=torch.int32)
            slots.index_put_((fresh,), ids)
            won = torch.nonzero(torch.eq(torch.index_select(slots, 0, fresh), ids),
                                as_tuple=True)[0]
            slots.index_fill_(0, fresh, STORED)
            return torch.index_select(rows, 0, won), torch.index_select(fresh, 0, won)
        # a stored slot keeps the counts added to it (STORED + drift, reset above before it
        # could reach 2**31): setting only the new rows' slots spares a write per stored row
        slots.index_fill_(0, key, STORED)
        return rows, key

    def _insert_large(self, key):
        """``insert_new`` for a large batch, which may be mostly stored or repeated rows: the
        new rows first (a read-only pass), then their keys claimed by row (the last write wins),
        so that only they are written, each pass O(batch)."""
        slots = self.slots
        cand = torch.nonzero(torch.eq(torch.index_select(slots, 0, key), 0), as_tuple=True)[0]
        c = cand.shape[0]
        if c == 0:
            return cand, key[:0]
        kc = key if c == key.shape[0] else torch.index_select(key, 0, cand)
        ids = torch.arange(c, dtype=torch.int32)
        slots.index_put_((kc,), ids)
        won = torch.nonzero(torch.eq(torch.index_select(slots, 0, kc), ids), as_tuple=True)[0]
        if won.shape[0] < c:
            cand, kc = torch.index_select(cand, 0, won), torch.index_select(kc, 0, won)
        slots.index_fill_(0, kc, STORED)  # every claimed slot has exactly one winner
        return (None if cand.shape[0] == key.shape[0] else cand), kc

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
