"""Recall@10 of the int8 scale schemes (``python -m bench knn --schemes``).

Per-vector, per-dimension and one global scale, for ip / cosine / l2, with and
without exact re-ranking of 4·k candidates, against exact float32 search.
"""
from __future__ import annotations

K = 10


def scheme_recall(n: int, d: int, n_queries: int = 200, seed: int = 0) -> list[dict]:
    """One row per (metric, scheme, rerank) with the measured recall@10."""
    import numpy as np

    from bench.knn import _clustered
    from nsl.runtime.retrieval import VectorIndex

    rng = np.random.default_rng(seed)
    data = _clustered(rng, n, d)
    queries = _clustered(rng, n_queries, d)
    rows = []
    for metric in ("ip", "cosine", "l2"):
        truth = _truth(data, queries, metric)
        for scheme in ("vector", "dimension", "global"):
            index = VectorIndex.build(data, metric, scale=scheme, keep_vectors=True)
            for rerank in (None, 4):
                ids, _ = index.search(queries, K, rerank=rerank)
                recall = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(ids, truth)]))
                rows.append(dict(metric=metric, scheme=scheme, rerank=rerank or 0,
                                 n=n, d=d, recall=recall))
            del index
    return rows


def _truth(data, queries, metric):
    import numpy as np

    if metric == "cosine":
        data = data / np.linalg.norm(data, axis=1, keepdims=True)
        queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    scores = queries @ data.T
    if metric == "l2":
        scores = 2 * scores - np.einsum("ij,ij->i", data, data)[None, :]
    return np.argsort(-scores, axis=1)[:, :K]


def print_scheme_recall(n: int, d: int) -> list[dict]:
    rows = scheme_recall(n, d)
    print(f"recall@{K}, N={n} d={d}, clustered synthetic data")
    print(f"{'metric':8} {'scheme':10} {'rerank':>6} {'recall':>7}")
    for row in rows:
        print(f"{row['metric']:8} {row['scheme']:10} {row['rerank']:6d} {row['recall']:7.3f}")
    return rows
