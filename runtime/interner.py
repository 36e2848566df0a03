"""Per-execution string interning: strings ↔ int64 ids, decoded in bulk through numpy."""
from __future__ import annotations

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
        """Ids of ``strings`` (any iterable) as an int64 tensor; one dict lookup per distinct string."""
        arr = np.asarray(list(strings), dtype=object)
        if arr.size == 0:
            return torch.zeros(0, dtype=torch.int64)
        uniq, inverse = np.unique(arr.astype(str), return_inverse=True)
        ids = np.fromiter((self.intern(str(s)) for s in uniq), dtype=np.int64, count=len(uniq))
        return torch.from_numpy(ids[inverse.reshape(-1)])

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
        order = np.argsort(self.decode(uniq).astype(str), kind="stable")
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
        joined = self.decode(uniq[:, 0]).astype(str) + self.decode(uniq[:, 1]).astype(str) \
            if len(uniq) else np.empty(0, dtype=str)
        ids = self.intern_many(joined.tolist()).to(left.device)
        return ids[inverse]
