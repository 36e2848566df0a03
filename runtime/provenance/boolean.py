"""The boolean semiring: plain Datalog. Tags are torch.bool; a stored fact is always true."""
from __future__ import annotations

import torch

from .base import Provenance


class BoolProvenance(Provenance):
    name = "bool"
    one_is_absorbing = True

    def zero(self, n, device=None):
        return torch.zeros(n, dtype=torch.bool, device=device)

    def one(self, n, device=None):
        return torch.ones(n, dtype=torch.bool, device=device)

    def add(self, a, b):
        return a | b

    def mul(self, a, b):
        return a & b

    def negate(self, a):
        return ~a

    def is_zero(self, a):
        return ~a

    def is_saturated(self, old, new):
        return old == new

    def from_prob(self, p):
        return p > 0

    def to_prob(self, t):
        return t.to(torch.float64)

    def canonical(self, tags):
        # Rows with tag false are dropped, so a surviving bool column is all ones.
        return None

    def fresh(self, prob, n, device=None):
        return None if prob > 0 else self.zero(n, device)

    def add_segments(self, tags, starts, n_segments):
        seg = torch.zeros(tags.shape[0], dtype=torch.int64, device=tags.device)
        seg[starts[1:]] = 1
        seg = seg.cumsum(0)
        out = torch.zeros(n_segments, dtype=torch.uint8, device=tags.device)
        return out.scatter_reduce(0, seg, tags.to(torch.uint8), "amax").bool()
