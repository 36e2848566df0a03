"""Per-execution string interning: strings ↔ int64 ids, decoded in bulk through numpy.

Strings stay Python objects throughout: numpy's fixed-width ``<U`` dtype pads with NUL
and so drops a string's trailing NULs (``"a\\0"`` would become ``"a"``)."""
from __future__ import annotations

import itertools

import numpy as np
import torch


class Interner:
    """Assigns dense int64 ids to strings in first-seen order.

    Ids say nothing about string order; :meth:`ranks` gives lexicographic ranks
    when an operator needs ``<`` or ``min`` on strings.
    """

    def __init__(self):
        self._ids: dict[str, int] = {}
        self._strings: list[str] = []
        self._array = np.empty(0, dtype=object)  # decode table, rebuilt lazily when it grows

    def __len__(self):
        return len(self._strings)

    def intern(self, s: str) -> int:
        i = self._ids.get(s)
        if i is None:
            i = self._ids[s] = len(self._strings)
            self._strings.append(s)
        return i

    def intern_many(self, strings) -> torch.Tensor:
        """Ids of ``strings`` (any iterable of str) as an int64 tensor: new strings are found
        with one C-level dict pass over the distinct ones, ids with one C-level lookup each."""
        strings = strings if type(strings) is list else list(strings)
        if not strings:
            return torch.zeros(0, dtype=torch.int64)
        ids = self._ids
        fresh = [s for s in dict.fromkeys(strings) if s not in ids]
        if fresh:
            if not all(type(s) is str for s in fresh):  # np.str_ and other subclasses: store str
                fresh = [s for s in dict.fromkeys(map(str, fresh)) if s not in ids]
            ids.update(zip(fresh, itertools.count(len(self._strings))))
            self._strings.extend(fresh)
        out = np.fromiter(map(ids.__getitem__, strings), dtype=np.int64, count=len(strings))
        return torch.from_numpy(out)

    def lookup(self, s: str) -> int:
        """The id of ``s``, interning it if new (a literal that matches nothing is harmless)."""
        return self.intern(s)

    def decode(self, ids: torch.Tensor) -> np.ndarray:
        """Strings of ``ids`` as a numpy object array (vectorized gather)."""
        if len(self._array) != len(self._strings):
            self._array = np.array(self._strings + [""], dtype=object)[:-1] if self._strings \
                else np.empty(0, dtype=object)
        return self._array[ids.cpu().numpy()]

    def ranks(self, *columns: torch.Tensor) -> list[torch.Tensor]:
        """Lexicographic ranks of the strings in ``columns`` (one shared order for all of them)."""
        flat = torch.cat([c.reshape(-1) for c in columns])
        uniq, inverse = torch.unique(flat, return_inverse=True)
        order = _string_order(self.decode(uniq))
        rank = torch.empty(len(uniq), dtype=torch.int64)
        rank[torch.from_numpy(order)] = torch.arange(len(uniq))
        ranked = rank.to(flat.device)[inverse]
        out, start = [], 0
        for c in columns:
            out.append(ranked[start:start + c.numel()].reshape(c.shape))
            start += c.numel()
        return out

    def concat(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        """Ids of ``left[i] ++ right[i]``: concatenates each distinct pair once."""
        pairs = torch.stack([left, right], 1)
        uniq, inverse = torch.unique(pairs, dim=0, return_inverse=True)
        joined = (self.decode(uniq[:, 0]) + self.decode(uniq[:, 1])).tolist()  # object arrays: str +
        ids = self.intern_many(joined).to(left.device)
        return ids[inverse]


def _string_order(strings: np.ndarray) -> np.ndarray:
    """The argsort of an object array of strings in Python's order (code points, a prefix
    first): numpy's <U dtype sorts fastest but pads with NUL, so it cannot tell "a" from
    "a\\0"; only then are the str objects sorted themselves (about 3x slower)."""
    fixed = strings.astype(str)
    if int(np.char.str_len(fixed).sum()) == sum(map(len, strings)):  # no trailing NUL lost
        return np.argsort(fixed, kind="stable")
    return np.array(sorted(range(len(strings)), key=strings.__getitem__), dtype=np.int64)
