"""The ``Knn`` operator: fan-out, per-row k, duplicates, missing slots, against numpy.

With ``rerank`` at least the index size every row is re-scored exactly, so the
operator must agree with brute-force float search; without it, with the
index's own batch search (the quantized scan).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from nsl.compiler.ir_parser import parse_module
from nsl.runtime import execute
from nsl.runtime.errors import NotAvailable
from nsl.runtime.retrieval import VectorIndex

DIM = 4


def module(metric: str, rerank: int | None = None, index: str = "m"):
    opts = f"dim = {DIM}, quant = int8, metric = {metric}" + (f", rerank = {rerank}" if rerank else "")
    return parse_module(f"""
relation question(int, tensor[{DIM}], int) input
relation hit(int, int, float) idb
index m({opts})
stratum 0 [hit] {{
  init rule hit#0 {{
    join question full (q:int, v:tensor[{DIM}], k:int)
    knn {index}(v, k:int) -> (d, s)
    insert hit (q:int, d:int, s:float)
  }}
}}
outputs hit
""")


def run(mod, index, questions):
    db = execute(mod, inputs={"question": questions}, indexes={"m": index})
    return db.rows("hit")


def exact_scores(memory, query, metric):
    if metric == "cosine":
        memory = memory / np.maximum(np.linalg.norm(memory, axis=1, keepdims=True), 1e-30)
        query = query / max(np.linalg.norm(query), 1e-30)
    if metric == "l2":
        return ((memory - query) ** 2).sum(1)
    return memory @ query


floats = st.floats(-4, 4, allow_nan=False, width=32).map(lambda x: round(x, 2))
vectors = st.lists(floats, min_size=DIM, max_size=DIM)


@settings(max_examples=40, deadline=None)
@given(memory=st.lists(vectors, min_size=1, max_size=12),
       questions=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 15)), min_size=1, max_size=6),
       extra=st.lists(vectors, max_size=3),
       metric=st.sampled_from(["ip", "cosine", "l2"]))
def test_knn_op_matches_brute_force(memory, questions, extra, metric):
    memory = np.array(memory, np.float32)
    if metric == "cosine":
        memory[np.linalg.norm(memory, axis=1) == 0] = 1.0  # a zero vector has no direction
    pool = [memory[0]] + [np.array(v, np.float32) for v in extra]  # some queries repeat a row
    rows = [(q, pool[j % len(pool)] if j < 8 else memory[j % len(memory)], k)
            for q, (j, k) in enumerate(questions)]
    index = VectorIndex.build(memory, metric, keep_vectors=True)
    got = run(module(metric, rerank=len(memory)), index, [(q, torch.tensor(v), k) for q, v, k in rows])
    for q, v, k in rows:
        mine = [(d, s) for qq, d, s in got if qq == q]
        exact = exact_scores(memory.astype(np.float64), v.astype(np.float64), metric)
        assert len(mine) == min(k, len(memory))
        assert len({d for d, _ in mine}) == len(mine)
        for d, s in mine:
            assert s == pytest.approx(exact[d], rel=1e-4, abs=1e-3)
        if mine and k < len(memory):  # nothing left out beats what was returned
            ranked = np.sort(exact) if metric == "l2" else -np.sort(-exact)
            worst = max(s for _, s in mine) if metric == "l2" else min(s for _, s in mine)
            boundary = ranked[len(mine)]
            assert (worst <= boundary + 1e-3) if metric == "l2" else (worst >= boundary - 1e-3)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 30), ks=st.lists(st.integers(0, 40), min_size=1, max_size=8),
       seed=st.integers(0, 2**16), metric=st.sampled_from(["ip", "cosine", "l2"]))
def test_knn_op_fans_out_the_index_search(n, ks, seed, metric):
    rng = np.random.default_rng(seed)
    memory = rng.standard_normal((n, DIM)).astype(np.float32)
    queries = rng.standard_normal((len(ks), DIM)).astype(np.float32)
    index = VectorIndex.build(memory, metric)
    got = run(module(metric), index, [(q, torch.tensor(queries[q]), k) for q, k in enumerate(ks)])
    ids, scores = index.search(queries, max(ks + [1]))
    expected = sorted((q, int(ids[q, j]), float(scores[q, j]))
                      for q, k in enumerate(ks) for j in range(k) if j < ids.shape[1] and ids[q, j] >= 0)
    assert got == expected


def test_index_directory_ids_and_certain_tags(tmp_path):
    memory = np.eye(DIM, dtype=np.float32)
    index = VectorIndex.build(memory, "ip", ids=np.array([10, 20, 30, 40]), path=tmp_path / "idx")
    index.close()
    opened = VectorIndex.open(tmp_path / "idx")
    opened.close()
    db = execute(module("ip"), inputs={"question": [(1, [0.0, 0.0, 1.0, 0.0], 1)]}, indexes={"m": opened})
    assert db.rows("hit") == [(1, 30, 1.0)]
    assert db.facts("hit") == [((1, 30, 1.0), 1.0)]


def test_empty_inputs_and_unloaded_index():
    index = VectorIndex.build(np.eye(DIM, dtype=np.float32), "ip")
    assert run(module("ip"), index, []) == []
    assert run(module("ip"), index, [(1, [1.0, 0, 0, 0], 0)]) == []
    with pytest.raises(NotAvailable, match="index 'm' is not loaded"):
        execute(module("ip"), inputs={"question": [(1, [1.0, 0, 0, 0], 1)]})
