"""A membership bitmap over a packed key range: O(batch) dedup for relations of small range.

Used while tags carry no information (every tag one and the semiring says one
absorbs, e.g. bool): a batch's rows are new iff their bit is clear; one gather,
one sort of the candidates (for duplicates inside the batch), one scatter.
"""
from __future__ import annotations

import torch

from .keys import KeyCodec

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
        self.bits = torch.zeros(size, dtype=torch.bool)
        self.claim = None  # int32 scratch table, allocated on first use

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
            lows = [l - w for l, w in zip(lows, widths)]
            highs = [h + w for h, w in zip(highs, widths)]
        size = 1
        for lo, hi in zip(lows, highs):
            size *= hi - lo + 1
        if size > DENSE_LIMIT and slack:
            return DenseSet.fit(cols, old, slack=False)
        return DenseSet(lows, highs) if size <= DENSE_LIMIT else None

    def insert_new(self, key: torch.Tensor) -> torch.Tensor:
        """Indices of batch rows whose key is not yet set (first occurrence each); sets them.

        Duplicates inside the batch are settled by a claim table (each candidate writes its
        index at its key; one write per key survives) — O(batch), no sort.
        """
        cand = torch.nonzero(torch.index_select(self.bits, 0, key).logical_not_()).reshape(-1)
        c = cand.shape[0]
        if c == 0:
            return cand
        kc = torch.index_select(key, 0, cand)
        if c > 1:
            if self.claim is None:
                self.claim = torch.empty(self.size, dtype=torch.int32)
            ids = torch.arange(c, dtype=torch.int32)
            self.claim.index_put_((kc,), ids)
            won = torch.index_select(self.claim, 0, kc) == ids
            if not bool(won.all()):
                keep = torch.nonzero(won).reshape(-1)
                cand, kc = cand[keep], kc[keep]
        self.bits.index_fill_(0, kc, True)
        return cand
