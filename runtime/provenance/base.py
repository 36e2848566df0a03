"""The provenance protocol: a semiring of tags, vectorized over a tag column.

Operators never look inside tags; they call these methods. A tag column is a
tensor whose first dimension is the row (override :meth:`gather` / :meth:`cat`
for anything fancier). ``None`` stands for a column in which every tag is
:meth:`one` — certain facts cost nothing — and the helpers at the bottom of
this file (``mul_tags`` …) treat it so; a provenance may return None from
:meth:`canonical` or :meth:`fresh` when that is exact.

A new semiring is one file: subclass :class:`Provenance`, implement the
abstract methods, register it in ``provenance/__init__.py``.
"""
from __future__ import annotations

import torch


class Provenance:
    """Abstract semiring. All methods are elementwise over tag columns of equal length."""

    name = "abstract"
    #: True when ``add(one, x) == one`` for every x: a fact certain already cannot change,
    #: so the fixpoint skips tag updates of facts stored with tag one.
    one_is_absorbing = False

    # --- the semiring ----------------------------------------------------------------
    def zero(self, n: int, device=None) -> torch.Tensor:
        raise NotImplementedError

    def one(self, n: int, device=None) -> torch.Tensor:
        raise NotImplementedError

    def add(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """⊕: alternative derivations of the same fact."""
        raise NotImplementedError

    def mul(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """⊗: conjunction (joins)."""
        raise NotImplementedError

    def negate(self, a: torch.Tensor) -> torch.Tensor:
        """The tag of "this fact does not hold" (stratified negation)."""
        raise NotImplementedError

    def is_zero(self, a: torch.Tensor) -> torch.Tensor:
        """Bool mask of tags equal to zero; such rows are dropped."""
        raise NotImplementedError

    def is_saturated(self, old: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
        """Bool mask: ``new`` (= old ⊕ more) needs no re-propagation, the fact's delta is empty."""
        raise NotImplementedError

    def from_prob(self, p: torch.Tensor) -> torch.Tensor:
        """Tags of independent facts holding with probabilities ``p`` (float64)."""
        raise NotImplementedError

    def to_prob(self, t: torch.Tensor) -> torch.Tensor:
        """Probabilities (float64) of tags."""
        raise NotImplementedError

    # --- tag columns -----------------------------------------------------------------
    def gather(self, tags: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        return tags[idx]

    def cat(self, columns: list) -> torch.Tensor:
        return torch.cat(columns)

    def canonical(self, tags):
        """``tags`` or None when every tag is known to be one (called on zero-free columns)."""
        return tags

    def input_tags(self, probs: torch.Tensor, groups: torch.Tensor):
        """Tags of input facts. ``probs``: NaN where certain; ``groups``: -1 or the id of the
        annotated disjunction the fact belongs to (mutually exclusive facts)."""
        certain = torch.isnan(probs)
        if bool(certain.all()):
            return None
        p = torch.where(certain, torch.ones_like(probs), probs)
        return self.from_prob(p)

    def fresh(self, prob: float, n: int, device=None):
        """Tags of ``n`` fresh independent facts of probability ``prob`` (the Weight op)."""
        return self.from_prob(torch.full((n,), float(prob), dtype=torch.float64, device=device))

    def add_segments(self, tags: torch.Tensor, starts: torch.Tensor, n_segments: int) -> torch.Tensor:
        """⊕ of each segment of ``tags``; segments are contiguous, ``starts`` their first rows.

        Generic log-depth pairwise reduction; semirings with a torch reduction override it.
        """
        n = tags.shape[0]
        if n == n_segments:
            return tags
        seg = torch.zeros(n, dtype=torch.int64, device=tags.device)
        seg[starts[1:]] = 1
        seg = seg.cumsum(0)
        acc, acc_seg = tags, seg
        while acc.shape[0] > n_segments:
            m = acc.shape[0]
            # pair each row with its successor when both are in the same segment
            first = torch.ones(m, dtype=torch.bool, device=tags.device)
            first[1:] = acc_seg[1:] != acc_seg[:-1]
            pos = torch.arange(m, device=tags.device)
            start_of = torch.cummax(torch.where(first, pos, torch.zeros_like(pos)), 0).values
            even = ((pos - start_of) % 2) == 0
            has_next = torch.zeros(m, dtype=torch.bool, device=tags.device)
            has_next[:-1] = acc_seg[1:] == acc_seg[:-1]
            left = pos[even]
            pair = has_next[left]
            merged = self.gather(acc, left)
            idx = left[pair]
            combined = self.add(self.gather(acc, idx), self.gather(acc, idx + 1))
            merged = merged.clone()
            merged[pair] = combined
            acc, acc_seg = merged, acc_seg[left]
        return acc


# ---- helpers over possibly-None tag columns ----------------------------------------------
def gather_tags(prov: Provenance, tags, idx):
    return None if tags is None else prov.gather(tags, idx)


def mul_tags(prov: Provenance, a, b):
    if a is None:
        return b
    if b is None:
        return a
    return prov.mul(a, b)


def materialize(prov: Provenance, tags, n: int, device=None):
    return prov.one(n, device) if tags is None else tags


def cat_tags(prov: Provenance, columns: list, lengths: list[int], device=None):
    """Concatenate tag columns, keeping None when all of them are None."""
    if all(t is None for t in columns):
        return None
    return prov.cat([materialize(prov, t, n, device) for t, n in zip(columns, lengths)])
