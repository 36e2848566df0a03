"""Deep recursions through the torch loop's one-row paths, against closed-form answers.

A chain's delta is one row per iteration: the join probes a unique direct-addressed
index with one key (read as a Python int), the bitmap dedups one key through its numpy
view, a sorted run takes one row without a sort. Each program here checks the rows, the
tags and the iteration count (which the rewrites must not change) under plain and
tag-carrying bool, with the native kernel off.
"""
import dataclasses

import pytest
import torch

import nsl
from nsl.compiler import ir
from nsl.runtime import dense, native_fixpoint, relation
from nsl.runtime.executor import Executor
from nsl.runtime.provenance.boolean import BoolProvenance
from nsl.runtime.provenance.tagged_bool import TaggedBoolProvenance

REACH = """input edge(a: int, b: int)
path(b) :- edge(0, b).
path(c) :- path(b), edge(b, c).
"""


def _run(src, inputs, tagged, monkeypatch):
    monkeypatch.setattr(native_fixpoint, "ENABLED", False)
    module = nsl.compile(src).ir
    if tagged:  # inputs as facts with probability 1: tags materialized from the start
        facts = tuple(ir.Facts(name, tuple(ir.FactRow(tuple(r), 1.0) for r in rows))
                      for name, rows in inputs.items())
        module, inputs = dataclasses.replace(module, facts=module.facts + facts), {}
    ex = Executor(module, TaggedBoolProvenance() if tagged else BoolProvenance())
    ex.load(inputs)
    for stratum in module.strata:
        ex.run_stratum(stratum)
    return ex


def _rows(ex, rel):
    run = ex.store[rel].consolidated()
    rows = sorted(zip(*(c.tolist() for c in run.cols)))
    assert run.tags is None or bool(run.tags.all())
    return rows


@pytest.mark.parametrize("tagged", [False, True])
@pytest.mark.parametrize("scale", [1, 1_000_003])  # dense ids, sparse ids (no direct index)
def test_chain_reachability_one_row_per_iteration(tagged, scale, monkeypatch):
    n = 300
    edges = [(i * scale, (i + 1) * scale) for i in range(n)]
    ex = _run(REACH, {"edge": edges}, tagged, monkeypatch)
    assert _rows(ex, "path") == [((i + 1) * scale,) for i in range(n)]
    assert ex.iterations == n  # n - 1 iterations that derive, one that finds nothing


@pytest.mark.parametrize("tagged", [False, True])
@pytest.mark.parametrize("scale", [1, 1_000_003])
def test_branching_chain_and_misses(tagged, scale, monkeypatch):
    """Nodes with two successors (a non-unique index), dead ends (probes that miss) and a
    cycle back to the start."""
    edges = [(i, i + 1) for i in range(50)] + [(i, 1000 + i) for i in range(0, 50, 7)] + \
        [(50, 0)]
    edges = [(a * scale, b * scale) for a, b in edges]
    ex = _run(REACH, {"edge": edges}, tagged, monkeypatch)
    reach, todo = set(), [0]
    while todo:
        x = todo.pop()
        for a, b in edges:
            if a == x and b not in reach:
                reach.add(b)
                todo.append(b)
    assert _rows(ex, "path") == sorted((v,) for v in reach)


def test_counter_and_mutual_recursion_iterations(monkeypatch):
    src = "even(0).\nodd(y) :- even(x), y = x + 1, x < 400.\neven(y) :- odd(x), y = x + 1, x < 400.\n"
    ex = _run(src, {}, False, monkeypatch)
    assert _rows(ex, "even") == [(v,) for v in range(0, 401, 2)]
    assert _rows(ex, "odd") == [(v,) for v in range(1, 401, 2)]
    assert ex.iterations == 401


def test_growing_two_column_range_rebuilds_the_bitmap_rarely(monkeypatch):
    """A relation whose two columns grow by one value per iteration (a path's length along
    a chain) nears the bitmap limit: the slack shrinks instead of vanishing, so the bitmap
    is rebuilt O(log) times, not once per iteration until it leaves the bitmap."""
    monkeypatch.setattr(dense, "DENSE_LIMIT", 1 << 14)
    rebuilds = []
    real = relation.StoredRelation._rebuild

    def counting(self, d):
        rebuilds.append(d.size)
        return real(self, d)

    monkeypatch.setattr(relation.StoredRelation, "_rebuild", counting)
    n = 400
    src = """input edge(a: int, b: int, w: int)
reach(b, d) :- edge(0, b, d).
reach(c, d) :- reach(b, d1), edge(b, c, w), d = d1 + w, d < 1000000.
"""
    ex = _run(src, {"edge": [(i, i + 1, 1) for i in range(n)]}, False, monkeypatch)
    assert _rows(ex, "reach") == [(i, i) for i in range(1, n + 1)]
    assert ex.iterations == n
    assert len(rebuilds) <= 40
    assert all(size <= dense.DENSE_LIMIT for size in rebuilds)


def test_dense_fit_keeps_some_slack_near_the_limit(monkeypatch):
    monkeypatch.setattr(dense, "DENSE_LIMIT", 1 << 12)
    cols = [torch.tensor([0, 50]), torch.tensor([0, 50])]  # 51 x 51 = 2601 slots exact
    fitted = dense.DenseSet.fit(cols, slack=True)
    assert fitted is not None and 51 * 51 < fitted.size <= 1 << 12
    assert dense.DenseSet.fit([torch.tensor([0, 70]), torch.tensor([0, 70])], slack=True) is None


def test_sparse_ids_build_no_large_bitmap_or_filter(monkeypatch):
    """Ids a million apart: neither the bitmap nor the sorted runs' membership filter grows
    past its floor (2^20 slots) for a relation of a few hundred rows (each used to be rebuilt,
    ever larger, up to 16M slots)."""
    sizes = []
    real_dense, real_filter = dense.DenseSet.__init__, relation.KeyFilter.__init__

    def dense_init(self, lows, highs):
        real_dense(self, lows, highs)
        sizes.append(self.size)

    def filter_init(self, lo, hi):
        real_filter(self, lo, hi)
        sizes.append(hi - lo + 1)

    monkeypatch.setattr(dense.DenseSet, "__init__", dense_init)
    monkeypatch.setattr(relation.KeyFilter, "__init__", filter_init)
    n, scale = 200, 1_000_003
    ex = _run(REACH, {"edge": [(i * scale, (i + 1) * scale) for i in range(n)]}, False,
              monkeypatch)
    assert _rows(ex, "path") == [((i + 1) * scale,) for i in range(n)]
    assert max(sizes, default=0) <= 1 << 20


@pytest.mark.parametrize("top", [400, 300])
def test_typed_counter_checks_each_derived_value(top, monkeypatch):
    """A range-typed head adds a check per iteration (its one-row fast path): values inside
    pass, the first outside stops the run naming it."""
    from nsl.runtime.errors import DerivedValueError
    src = f"type Small = 0..{top}\nrel nat(n: Small)\nnat(0).\nnat(y) :- nat(x), y = x + 1, x < 400.\n"
    if top >= 400:
        ex = _run(src, {}, False, monkeypatch)
        assert _rows(ex, "nat") == [(v,) for v in range(401)]
        assert ex.iterations == 401
    else:
        with pytest.raises(DerivedValueError, match=f"derived {top + 1},"):
            _run(src, {}, False, monkeypatch)
