"""The ids of an index as a set, so ``add`` can refuse a duplicate quickly.

A search returns ids, so two rows with one id would make ``knn`` report that
id twice with different scores (and ``count(d: knn(...))`` come out below k):
ids are unique. Checking a small append against a large index must not cost a
pass over every id, so the set is a sorted base plus a small sorted tail of
recent additions: a lookup is two binary searches, an addition sorts only the
tail, and the tail is merged into the base once it passes 1/32 of it (an
amortized O(1) share of a merge per added id).

The base is built on the first explicit-id ``add`` (or build), not on
``open``: readers never need it. Ids in ascending order, as automatic ids and
most appends are, are used as they are, without a copy or a sort.
"""
from __future__ import annotations


class IdSet:
    """Membership of int64 ids: a sorted base and a sorted tail of recent additions."""

    def __init__(self, ids):
        import numpy as np

        ids = np.asarray(ids, np.int64)
        if len(ids) > 1 and not (ids[1:] > ids[:-1]).all():
            ids = np.sort(ids)
        self._base = ids  # stored ids never change, so a view of them stays right
        self._tail = np.empty(0, np.int64)

    def first_present(self, ids) -> int | None:
        """One of ``ids`` that the set holds (the first in ``ids``' order), or None."""
        import numpy as np

        ids = np.asarray(ids, np.int64)
        found = np.zeros(len(ids), bool)
        for part in (self._base, self._tail):
            if len(part) and len(ids):
                at = np.minimum(np.searchsorted(part, ids), len(part) - 1)
                found |= part[at] == ids
        return int(ids[found.argmax()]) if found.any() else None

    def add(self, ids) -> None:
        """Add ids that are not in the set yet (and are distinct)."""
        import numpy as np

        self._tail = np.sort(np.concatenate([self._tail, np.asarray(ids, np.int64)]))
        if len(self._tail) > max(1024, len(self._base) // 32):
            self._base = np.sort(np.concatenate([self._base, self._tail]))
            self._tail = np.empty(0, np.int64)


def first_repeated(ids) -> int | None:
    """The first position of ``ids`` whose id occurs earlier too, or None."""
    import numpy as np

    ids = np.asarray(ids, np.int64)
    if len(ids) < 2:
        return None
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    repeats = order[1:][ordered[1:] == ordered[:-1]]  # later occurrences of an equal id
    return int(repeats.min()) if len(repeats) else None
