"""l2 and cosine rank by the distance from the query to the *decoded* row
(row bias −‖x̂‖²), so a row's quantization error weighs in proportion to how far
it is from the query: near neighbours inside tight clusters keep their order.
Indexes written before that (l2 with the exact norm, cosine without a bias)
still open and search as they were built."""
from __future__ import annotations

import numpy as np
import pytest

from nsl.runtime.retrieval import VectorIndex
from nsl.runtime.retrieval.index import DATA_FILE
from nsl.runtime.retrieval.storage import read_data_file, write_data_file

K = 10


def _tight_clusters(n=6000, d=64, centres=60, spread=0.1, seed=3):
    """Points close around Gaussian centres: every query's true neighbours sit
    at about the same distance, far smaller than the vectors' norms."""
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, d))
    x = c[rng.integers(0, centres, n)] + spread * rng.normal(size=(n, d))
    q = c[rng.integers(0, centres, 50)] + spread * rng.normal(size=(50, d))
    return x.astype(np.float32), q.astype(np.float32)


def _exact_top(x, q, metric):
    x, q = x.astype(np.float64), q.astype(np.float64)
    if metric == "cosine":
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
    keys = 2 * q @ x.T - (x * x).sum(1)[None, :]  # the same order as −‖q − x‖²
    return np.argsort(-keys, axis=1, kind="stable")[:, :K]


def _recall(found, truth):
    return float(np.mean([len(set(a) & set(b)) / K for a, b in zip(found, truth)]))


@pytest.mark.parametrize("metric", ["l2", "cosine"])
def test_tight_clusters_keep_their_near_neighbours(metric):
    x, q = _tight_clusters()
    found, _ = VectorIndex.build(x, metric).search(q, K)
    # 0.92 / 0.93 here; the exact-norm ranking gave 0.66 / 0.65 on this data
    assert _recall(found, _exact_top(x, q, metric)) >= 0.85


def test_cosine_scores_are_cosines_and_a_row_scores_itself_highest():
    x, _ = _tight_clusters(n=2000)
    index = VectorIndex.build(x, "cosine")
    ids, scores = index.search(x[:300], 1)
    assert (scores <= 1.0).all() and (scores >= -1.0).all()
    assert (ids[:, 0] == np.arange(300)).mean() >= 0.9
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    ids, top = index.search(unit[:50], 5)
    np.testing.assert_allclose(top, 1 - _decoded_distances(index, unit[:50], ids) / 2, atol=1e-5)
    np.testing.assert_allclose(top, np.einsum("bd,bkd->bk", unit[:50], unit[ids]), atol=2e-3)


def test_l2_self_distance_is_near_zero_and_scores_track_exact_distances():
    x, q = _tight_clusters(n=2000)
    index = VectorIndex.build(x, "l2")
    _, self_scores = index.search(x[:200], 1)
    typical = np.median(((x[:200, None] - x[None, 200:400]) ** 2).sum(-1))
    assert self_scores.max() <= 1e-3 * typical
    ids, scores = index.search(q, K)
    # the score is the distance between the decoded query and the decoded row
    np.testing.assert_allclose(scores, _decoded_distances(index, q, ids), rtol=1e-4, atol=1e-4)
    # so its error grows with the distance (here ~1), not with ‖x‖‖q‖ (here ~64)
    exact = ((q[:, None, :].astype(np.float64) - x[ids]) ** 2).sum(-1)
    np.testing.assert_allclose(scores, exact, rtol=0.1)


def _decoded_distances(index, queries, ids):
    quantizer = index.quantizer
    codes, scale = quantizer.quantize_queries(queries)
    q_hat = codes[:, :quantizer.dim].astype(np.float64) * scale[:, None]
    rows = index._store.codes[ids.ravel()]
    x_hat = quantizer.dequantize_rows(rows, index._store.row_scale[ids.ravel()])
    x_hat = x_hat.astype(np.float64).reshape(ids.shape + (quantizer.dim,))
    return ((q_hat[:, None, :] - x_hat) ** 2).sum(-1)


def test_a_zero_row_keeps_cosine_zero():
    x = np.zeros((3, 8), np.float32)
    x[1, 0], x[2, 1] = 1.0, -1.0
    ids, scores = VectorIndex.build(x, "cosine").search(np.eye(8, dtype=np.float32)[:1], 3)
    assert ids[0].tolist() == [1, 0, 2]
    np.testing.assert_allclose(scores[0], [1.0, 0.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("metric, old_norms", [("l2", "exact"), ("cosine", None)])
def test_indexes_written_before_decoded_norms_search_as_built(tmp_path, metric, old_norms):
    x, q = _tight_clusters(n=1500, d=32)
    VectorIndex.build(x[:1000], metric, path=tmp_path).close()
    params, arrays = read_data_file(tmp_path / DATA_FILE)
    assert params.pop("norms") == "decoded"
    unit = x / np.linalg.norm(x, axis=1, keepdims=True) if metric == "cosine" else x
    if old_norms == "exact":
        arrays["row_bias"] = -np.einsum("ij,ij->i", unit[:1000], unit[:1000]).astype(np.float32)
    else:
        arrays["row_bias"] = np.zeros(1000, np.float32)
    write_data_file(tmp_path / DATA_FILE, params, arrays)

    index = VectorIndex.open(tmp_path)
    assert index.norms == old_norms
    index.add(x[1000:])  # appended rows follow the index's own convention
    expected_bias = (-np.einsum("ij,ij->i", unit, unit) if old_norms == "exact"
                     else np.zeros(len(x)))
    np.testing.assert_allclose(index._store.row_bias, expected_bias, rtol=1e-5)
    ids, scores = index.search(q, K)
    assert _recall(ids, _exact_top(x, q, metric)) >= 0.5
    if metric == "cosine":  # the old score: q·x̂
        found = unit[ids]
        qn = q / np.linalg.norm(q, axis=1, keepdims=True)
        np.testing.assert_allclose(scores, np.einsum("bd,bkd->bk", qn, found), atol=0.02)
    index.close()
    assert "norms" not in read_data_file(tmp_path / DATA_FILE)[0] or old_norms == "exact"
