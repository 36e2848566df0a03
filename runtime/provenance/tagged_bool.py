"""Boolean semantics with every tag materialized: a debugging provenance.

It takes the path a probabilistic semiring takes — tags carried per row,
sorted runs, tag ⊕ on duplicates, the protocol's generic reductions, no
native kernel — while its results must equal plain ``bool``'s. The
differential tests run the engine under it, and ``python -m bench fixpoint``
times that path with it. Not registered as a user-facing provenance.
"""
from __future__ import annotations

import torch

from .base import Provenance
from .boolean import BoolProvenance


class TaggedBoolProvenance(BoolProvenance):
    name = "tagged_bool"
    one_is_absorbing = False
    # the protocol's generic versions instead of bool's shortcuts
    canonical = Provenance.canonical
    fresh = Provenance.fresh
    add_segments = Provenance.add_segments

    def input_tags(self, probs, groups):
        return self.from_prob(torch.where(torch.isnan(probs), torch.ones_like(probs), probs))
