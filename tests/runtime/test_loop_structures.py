"""The torch loop's incremental structures against from-scratch computations (hypothesis).

Bitmap dedup (``DenseSet``), the stored relation in both modes fed batch by batch,
join indexes (direct-addressed, binary-searched, unique and not), and expressions
whose literals stay Python scalars: each is checked against the obvious
computation over Python sets and lists.
"""
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsl.compiler import ir
from nsl.runtime import dense, join, keys, relation
from nsl.runtime.dense import DenseSet
from nsl.runtime.expr import evaluate
from nsl.runtime.interner import Interner
from nsl.runtime.join import AtomSpec, _matches
from nsl.runtime.provenance.boolean import BoolProvenance
from nsl.runtime.relation import StoredRelation
from nsl.runtime.table import Run, Table

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1


def col(values):
    return torch.tensor(values, dtype=torch.int64)


@pytest.mark.parametrize("drift_limit,large_batch", [(dense.DRIFT_LIMIT, dense.LARGE_BATCH),
                                                     (5, dense.LARGE_BATCH), (dense.DRIFT_LIMIT, 2)])
@SETTINGS
@given(batches=st.lists(st.lists(st.integers(0, 40), max_size=12), max_size=8))
def test_dense_set_reports_each_new_key_once(drift_limit, large_batch, batches):
    """(A tiny drift limit resets the stored slots between most batches; a tiny large-batch
    size sends batches through the filter-stored-rows-first path.)"""
    saved = dense.DRIFT_LIMIT, dense.LARGE_BATCH
    dense.DRIFT_LIMIT, dense.LARGE_BATCH = drift_limit, large_batch
    try:
        _dense_set_case(batches)
    finally:
        dense.DRIFT_LIMIT, dense.LARGE_BATCH = saved


def _dense_set_case(batches):
    ds = DenseSet([0], [40])
    seen = set()
    for batch in batches:
        if not batch:
            continue
        rows, kept = ds.insert_new(col(batch))
        rows = list(range(len(batch))) if rows is None else rows.tolist()
        got = [batch[i] for i in rows]
        assert kept.tolist() == got  # keys of the reported rows, aligned
        assert len(got) == len(set(got)) and set(got) == set(batch) - seen
        seen |= set(batch)
        assert set(torch.nonzero(ds.slots).reshape(-1).tolist()) == seen


rows2 = st.lists(st.tuples(st.integers(-6, 6), st.integers(-6, 6)), max_size=10)


@pytest.mark.parametrize("mode", ["bitmap", "bitmap-scan", "bitmap-settle", "sorted-runs", "hashed-keys"])
@SETTINGS
@given(batches=st.lists(st.tuples(rows2, st.booleans(), st.sampled_from([1, 1, 1, 5, 1000])),
                        max_size=10))
def test_stored_relation_deltas_and_contents_match_a_set(mode, batches):
    """Batch by batch: the delta is exactly the rows not seen before; reading the full
    relation (which merges the loose deltas) in between changes nothing, and neither
    does merging them when too many pile up (every second batch in bitmap-settle): a
    delta handed out earlier keeps its rows."""
    prov = BoolProvenance()
    with pytest.MonkeyPatch.context() as mp:
        # consolidating a bitmap relation: always by sorting, or always by scanning the bitmap
        mp.setattr(relation, "SCAN_FACTOR", 1 << 40 if mode == "bitmap-scan" else 0)
        if not mode.startswith("bitmap"):
            mp.setattr(dense, "DENSE_LIMIT", 0)
        if mode == "hashed-keys":
            mp.setattr(keys, "_PACK_LIMIT", 1)
        if mode == "bitmap-settle":
            mp.setattr(relation, "LOOSE_LIMIT", 2)
        rel = StoredRelation("r", ("int", "int"), prov)
        seen, deltas = set(), []
        for batch, read, scale in batches:
            batch = [(a * scale, b) for a, b in batch]
            if not batch:
                continue
            delta = rel.add([col([a for a, _ in batch]), col([b for _, b in batch])], None,
                            len(batch))
            got = list(zip(*(c.tolist() for c in delta.cols)))
            assert len(got) == len(set(got)) == delta.n
            assert set(got) == set(batch) - seen
            deltas.append((delta, got))
            seen |= set(batch)
            if read:
                runs = rel.snapshot()
                stored = [r for run in runs for r in zip(*(c.tolist() for c in run.cols))]
                assert len(stored) == len(seen) and set(stored) == seen
                for run in runs:
                    assert run.key.shape[0] == run.n
        for delta, got in deltas:
            assert list(zip(*(c.tolist() for c in delta.cols))) == got
        final = rel.consolidated()
        assert list(zip(*(c.tolist() for c in final.cols))) == sorted(seen) or \
            not rel.in_value_order()
        assert sorted(zip(*(c.tolist() for c in final.cols))) == sorted(seen)


@pytest.mark.parametrize("impl", ["merge_order", "merge_order_torch"])
@SETTINGS
@given(st.lists(st.integers(-5, 5), max_size=20), st.lists(st.integers(-5, 5), max_size=20))
def test_merge_order_is_the_stable_sort_of_the_concatenation(impl, a, b):
    a, b = sorted(a), sorted(b)
    order, merged = getattr(keys, impl)(col(a), col(b))
    both = a + b
    assert order.tolist() == sorted(range(len(both)), key=lambda i: both[i])
    assert merged.tolist() == sorted(both)


values = st.one_of(st.integers(-8, 8), st.sampled_from([I64_MIN, I64_MAX, 1 << 62, -(1 << 62)]),
                   st.integers(-(10 ** 12), 10 ** 12))


@pytest.mark.parametrize("direct", [True, False])
@SETTINGS
@given(run_rows=st.lists(st.tuples(values, values), max_size=14),
       probe=st.lists(st.tuples(values, values), max_size=10),
       on=st.sampled_from([(0,), (1,), (0, 1)]))
def test_join_index_matches_brute_force(direct, run_rows, probe, on):
    """Every (probe row, run row) pair with equal key columns, once — unique or not,
    direct-addressed or binary-searched, keys near the int64 limits included."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(join, "DIRECT_ADDRESSING", direct)
        run = Run([col([r[0] for r in run_rows]), col([r[1] for r in run_rows])], None,
                  col(list(range(len(run_rows)))))
        names = ["a", "b"]
        args = tuple(ir.ColRef(names[p] if p in on else f"n{p}", "int") for p in range(2))
        table = Table({names[p]: col([r[p] for r in probe]) for p in on}, None, len(probe))
        spec = AtomSpec(args, table.cols, Interner())
        q, r = _matches(table, run, spec)
        if q is None:
            q = torch.arange(len(probe))
        got = sorted(zip(q.tolist(), r.tolist()))
        want = sorted((i, j) for i, p in enumerate(probe) for j, x in enumerate(run_rows)
                      if all(p[k] == x[k] for k in on))
        assert got == want


def _materialized(e):
    """``e`` with every literal replaced by a column holding it (the reference)."""
    if isinstance(e, ir.Lit):
        return ir.ColRef(f"lit{e.value!r}:{e.type}", e.type)
    if isinstance(e, ir.BinExpr):
        return ir.BinExpr(e.op, _materialized(e.left), _materialized(e.right), e.type)
    if isinstance(e, ir.UnExpr):
        return ir.UnExpr(e.op, _materialized(e.operand), e.type)
    return e


def _lit_cols(e, n, out):
    if isinstance(e, ir.Lit):
        dtype = torch.float64 if e.type == "float" else torch.int64
        out[f"lit{e.value!r}:{e.type}"] = torch.full((n,), e.value, dtype=dtype)
    for child in (getattr(e, "left", None), getattr(e, "right", None), getattr(e, "operand", None)):
        if child is not None:
            _lit_cols(child, n, out)
    return out


int_edge = st.sampled_from([0, 1, -1, 2, -7, 3, I64_MIN, I64_MAX, 1 << 40])
float_edge = st.sampled_from([0.0, -0.0, 1.5, -2.0, 1e300, float("inf"), float("nan")])


@st.composite
def scalar_exprs(draw):
    ty = draw(st.sampled_from(["int", "float"]))
    op = draw(st.sampled_from(list(ir.CMP_OPS) + ["add", "sub", "mul", "div", "mod", "min",
                                                   "max", "pow"]))
    value = draw(int_edge if ty == "int" else float_edge)
    x = ir.ColRef("x", ty)
    lit = ir.Lit(value, ty)
    left, right = (x, lit) if draw(st.booleans()) else (lit, x)
    rtype = "bool" if op in ir.CMP_OPS else ty
    e = ir.BinExpr(op, left, right, rtype)
    if rtype == ty and draw(st.booleans()):  # nested: a column result meets a literal again
        outer = draw(st.sampled_from(["add", "mul", "lt"]))
        e = ir.BinExpr(outer, e, ir.Lit(value, ty), "bool" if outer == "lt" else ty)
    if e.type != "bool" and draw(st.booleans()):  # two literals that were not folded
        e = ir.BinExpr("sub", e, ir.BinExpr("mul", ir.Lit(value, ty), ir.Lit(value, ty), ty), ty)
    return e, ty


@SETTINGS
@given(scalar_exprs(), st.lists(st.integers(-10, 10), min_size=1, max_size=6))
def test_scalar_literals_evaluate_like_literal_columns(case, xs):
    e, ty = case
    dtype = torch.float64 if ty == "float" else torch.int64
    x = torch.tensor(xs + [I64_MIN, I64_MAX, 0, -1] if ty == "int" else xs + [0, -1],
                     dtype=dtype)
    if ty == "float":
        x = torch.cat([x, torch.tensor([-0.0, 1e300, float("inf"), float("nan")],
                                       dtype=torch.float64)])
    n = x.shape[0]
    table = Table({"x": x}, None, n)
    ref_table = Table({"x": x, **_lit_cols(e, n, {})}, None, n)
    got, got_ok = evaluate(e, table, Interner())
    want, want_ok = evaluate(_materialized(e), ref_table, Interner())
    got_ok = torch.ones(n, dtype=torch.bool) if got_ok is None else got_ok
    want_ok = torch.ones(n, dtype=torch.bool) if want_ok is None else want_ok
    assert torch.equal(got_ok, want_ok)
    assert got.dtype == want.dtype
    g, w = got[want_ok], want[want_ok]
    if g.is_floating_point():
        assert torch.equal(torch.isnan(g), torch.isnan(w))
        assert torch.equal(g[~torch.isnan(g)], w[~torch.isnan(w)])
    else:
        assert torch.equal(g, w)
