"""IR → IR passes, one per file, registered by name; the pipeline is data.

A pass is a frozen dataclass with a ``name`` and ``apply(module) -> module``.
"""
from __future__ import annotations

from nsl.compiler.passes.constant_fold import ConstantFold
from nsl.compiler.passes.dead_relations import DeadRelations
from nsl.compiler.passes.join_order import JoinOrder
from nsl.compiler.passes.semi_naive import SemiNaive

PASSES = {p.name: p for p in (ConstantFold(), DeadRelations(), SemiNaive(), JoinOrder())}

# The default optimisation pipeline, in order.
DEFAULT_PIPELINE = ("constant_fold", "dead_relations", "semi_naive", "join_order")
