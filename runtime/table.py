"""Columnar tables: the binding table of a rule pipeline, and stored runs of a relation."""
from __future__ import annotations

import torch

from .keys import positions
from .provenance.base import Provenance


def take_tags(prov, tags, idx):
    """``gather_tags``: rows ``idx`` of a tag column (None stays None), by ``index_select``
    when the provenance keeps the protocol's ``tags[idx]`` (the same rows, at about half the
    cost of advanced indexing on small columns)."""
    if tags is None:
        return None
    if type(prov).gather is Provenance.gather:
        return torch.index_select(tags, 0, idx)
    return prov.gather(tags, idx)


class Table:
    """A binding table: one column per variable, one tag per row (None: all tags one).

    ``n`` is explicit because a table may have no columns (the unit table has one row).
    """

    __slots__ = ("cols", "tags", "n")

    def __init__(self, cols: dict, tags, n: int):
        self.cols, self.tags, self.n = cols, tags, n

    @staticmethod
    def unit() -> "Table":
        return Table({}, None, 1)

    def take(self, prov, idx: torch.Tensor) -> "Table":
        """Rows ``idx`` (an index tensor) of this table."""
        return Table({k: torch.index_select(v, 0, idx) for k, v in self.cols.items()},
                     take_tags(prov, self.tags, idx), int(idx.shape[0]))

    def where(self, prov, mask: torch.Tensor) -> "Table":
        """Rows where ``mask`` holds; when that is every row, the same columns (no gathers)."""
        idx = positions(mask)
        if idx is None:
            return Table(dict(self.cols), self.tags, self.n)
        return self.take(prov, idx)


class Run:
    """Rows of a relation, sorted by their key under the relation's codec, distinct.

    ``sorted`` is False for the append-only runs of a bitmap-deduplicated relation.
    Columns are immutable; ``tags`` may be updated in place when a fact's tag grows.
    ``indexes`` caches join indexes built over this run (see ``join.Index``).
    """

    __slots__ = ("cols", "tags", "key", "n", "indexes", "sorted", "_bounds")

    def __init__(self, cols: list, tags, key: torch.Tensor, sorted: bool = True):
        self.cols, self.tags, self.key, self.sorted = cols, tags, key, sorted
        self.n = int(key.shape[0])
        self.indexes = {}
        self._bounds = None

    @property
    def bounds(self) -> tuple:
        """``(first key, last key)`` of a non-empty sorted run, as Python ints (cached)."""
        if self._bounds is None:
            self._bounds = first_last(self.key)
        return self._bounds

    @staticmethod
    def empty(types_or_cols, device=None) -> "Run":
        return Run(list(types_or_cols), None, torch.zeros(0, dtype=torch.int64, device=device))


def first_last(x: torch.Tensor) -> tuple:
    """``(x[0], x[-1])`` of a non-empty 1-d tensor as Python numbers (one strided view, one
    host read)."""
    n = x.shape[0]
    ends = x[::n - 1].tolist() if n > 1 else x.tolist() * 2
    return ends[0], ends[-1]
