"""Searching an index: quantize the queries, one fused JIT scan per batch,
optional exact re-ranking, row positions mapped to ids.

``knn_search`` is the batch entry point the relational ``knn`` operator
calls: one call per batch of bound query vectors.
"""
from __future__ import annotations


def knn_search(index, query_matrix, k: int, *, rerank: int | None = None):
    """``(ids int64 [B, k], scores float32 [B, k])`` for a float32 ``[B, d]`` batch."""
    return index.search(query_matrix, k, rerank=rerank)


def search_index(index, queries, k: int, rerank, threads):
    import numpy as np

    from nsl.compiler.jit.knn_kernels import knn_scan, knn_scan_floats
    from nsl.runtime.retrieval.index import RetrievalError, _normalize, squared_norms

    k = _count(k, "k", 0)
    rerank = None if rerank is None else _count(rerank, "rerank", 1)
    threads = None if threads is None else _count(threads, "threads", 1)
    if rerank and not index.keep_vectors:
        raise RetrievalError("re-ranking needs the float vectors: build with keep_vectors=True")
    store, l2 = index._store, index.metric == "l2"
    prepared = _normalize(queries) if index.metric == "cosine" else queries
    # scores are distances to the decoded rows, from the decoded query (see
    # Quantizer.decoded_query_norms); indexes with exact row norms use exact ones
    if index.norms == "decoded" and not rerank:
        query_norms = index.quantizer.decoded_query_norms(prepared)[:, None]
    else:
        query_norms = squared_norms(queries, "queries")[:, None] if l2 else None
    # k past the index size only pads: scan for at most every row
    width = min(k, store.count)
    candidates = min(width * rerank if rerank else width, store.count)
    # With row norms the kernel ranks by 2·q·x̂ − ‖x̂‖² (the distance to the row;
    # see Quantizer.decoded_squared_norms); without them it reads 4 bytes a row less.
    by_distance = index.norms is not None
    row_bias = store.row_bias if by_distance else None
    factor = 2.0 if by_distance else 1.0
    # the JIT quantizes the queries as quantize_queries does, without its numpy calls
    found = knn_scan_floats(store.codes, store.row_scale, row_bias, prepared,
                            index.quantizer.dim_scale, factor, candidates, threads=threads)
    if found is None:
        query_codes, query_scale = index.quantizer.quantize_queries(prepared)
        found = knn_scan(store.codes, store.row_scale, row_bias, query_codes,
                         query_scale * np.float32(factor), candidates, threads=threads)
    rows, scores = found
    if rerank:
        rows, scores = _rerank(store.vectors, prepared, rows, width, l2)
    elif l2:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow saturates below
            scores = np.maximum(query_norms - scores, 0).astype(np.float32)
        scores[rows < 0] = np.inf
    elif by_distance:  # cosine: 1 − ‖q̂ − x̂‖²/2, for unit vectors their cosine
        with np.errstate(over="ignore", invalid="ignore"):
            scores = np.clip(1 - (query_norms - scores) / 2, -1, 1).astype(np.float32)
        scores[rows < 0] = -np.inf
    # Row -1 is an empty slot, never an index into the ids. A score beyond
    # float32's range saturates, so ±inf only ever marks an empty slot. Both
    # are rare, and a search of a small index takes tens of microseconds: two
    # cheap checks first, the masked versions only when needed.
    if rows.size and (rows.min() < 0 or not np.isfinite(scores).all()):
        found = rows >= 0
        ids = np.where(found, store.ids[np.maximum(rows, 0)] if len(store.ids) else -1, -1)
        limit = np.finfo(np.float32).max
        scores = np.where(found, np.clip(scores, -limit, limit), scores)
    else:
        ids = store.ids[rows]
    return _padded(ids.astype(np.int64, copy=False), scores.astype(np.float32, copy=False),
                   k, np.inf if l2 else -np.inf)


def _padded(ids, scores, k: int, empty: float):
    """``ids``/``scores`` widened to ``k`` columns with empty slots (id -1, score
    ``empty``), or a RetrievalError when that result cannot fit in memory."""
    batch, width = ids.shape
    if width == k:  # the usual case, on every search: before any import
        return ids, scores
    import os

    import numpy as np

    from nsl.runtime.retrieval.index import RetrievalError

    needed = batch * k * (ids.itemsize + scores.itemsize)
    too_large = RetrievalError(f"k = {k} is too large: {batch} × {k} results need {needed / 2**30:.3g} "
                               f"GiB, and the index has only {width} rows to return")
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        memory = None  # no way to ask for the memory size here: let the allocation decide
    if memory is not None and needed > memory:  # (RetrievalError is a ValueError: raise it here)
        raise too_large
    try:
        out_ids = np.full((batch, k), -1, np.int64)
        out_scores = np.full((batch, k), empty, np.float32)
    except MemoryError:
        raise too_large from None
    out_ids[:, :width], out_scores[:, :width] = ids, scores
    return out_ids, out_scores


def _count(value, name: str, minimum: int) -> int:
    """``value`` as an int of at least ``minimum`` (Python or numpy integers;
    not bool, not a float), or a RetrievalError."""
    if type(value) is int and value >= minimum:  # the usual case, on every search
        return value
    import numbers

    from nsl.runtime.retrieval.index import RetrievalError

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RetrievalError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise RetrievalError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _rerank(vectors, queries, rows, k, l2):
    """Exact float scores for the candidate rows; best ``k`` by (score, row)."""
    import numpy as np

    valid = rows >= 0
    if vectors is None or len(vectors) == 0:
        gathered = np.zeros(rows.shape + (queries.shape[1],), np.float32)
    else:
        gathered = vectors[np.maximum(rows, 0)]
    dots = np.einsum("bkd,bd->bk", gathered, queries)
    if l2:
        keys = (np.einsum("bkd,bkd->bk", gathered, gathered) - 2 * dots
                + np.einsum("bd,bd->b", queries, queries)[:, None])
        keys = np.maximum(keys, 0)
        keys[~valid] = np.inf
        order = np.lexsort((np.where(valid, rows, np.iinfo(np.int64).max), keys), axis=1)
    else:
        keys = dots
        keys[~valid] = -np.inf
        order = np.lexsort((np.where(valid, rows, np.iinfo(np.int64).max), -keys), axis=1)
    order = order[:, :k]
    return (np.take_along_axis(rows, order, axis=1),
            np.take_along_axis(keys, order, axis=1).astype(np.float32))
