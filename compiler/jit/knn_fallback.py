"""The knn scan without LLVM: torch, chunked over rows, same results bit for bit.

Dot products are exact (float64 matmul of small integers), scores follow the
kernel's float32 formula op by op, and ties are broken by row through a
composite int64 key (order-preserving bits of the score, then the inverted row
index), so ``topk`` never has to choose between equal keys.
"""
from __future__ import annotations

CHUNK_ROWS = 1 << 16
_LOW32 = (1 << 32) - 1


def torch_scan(codes, row_scale, row_bias, queries, query_scale, k: int):
    """Same contract as :func:`nsl.compiler.jit.knn_kernels.knn_scan`."""
    import numpy as np
    import torch

    n_rows = codes.shape[0]
    if n_rows >= 1 << 32:
        raise ValueError("the torch knn path handles at most 2**32 rows")
    q = torch.from_numpy(np.ascontiguousarray(queries, np.int8)).to(torch.float64)
    qs = torch.from_numpy(np.ascontiguousarray(query_scale, np.float32))[:, None]
    best_keys = torch.empty((q.shape[0], 0), dtype=torch.int64)
    for start in range(0, n_rows, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n_rows)
        rows = torch.from_numpy(np.ascontiguousarray(codes[start:stop])).to(torch.float64) - 128.0
        dots = (q @ rows.T).to(torch.int32)
        rs = torch.from_numpy(np.ascontiguousarray(row_scale[start:stop], np.float32))[None, :]
        scores = (dots.to(torch.float32) * rs) * qs
        if row_bias is None:
            scores = scores + 0.0
        else:
            scores = scores + torch.from_numpy(np.ascontiguousarray(row_bias[start:stop], np.float32))[None, :]
        keys = _composite_keys(scores, torch.arange(start, stop, dtype=torch.int64))
        both = torch.cat([best_keys, keys], dim=1)
        best_keys = torch.topk(both, min(k, both.shape[1]), dim=1, sorted=True).values
    rows_out = _LOW32 - (best_keys & _LOW32)
    score_bits = (best_keys >> 32).to(torch.int32)
    score_bits = torch.where(score_bits < 0, score_bits ^ 0x7FFFFFFF, score_bits)
    scores_out = score_bits.view(torch.float32)
    n_found = rows_out.shape[1]
    out_rows = np.full((q.shape[0], k), -1, np.int64)
    out_scores = np.full((q.shape[0], k), -np.inf, np.float32)
    out_rows[:, :n_found] = rows_out.numpy()
    out_scores[:, :n_found] = scores_out.numpy()
    return out_rows, out_scores


def _composite_keys(scores, rows):
    """int64 keys ordered as (score ascending, row descending): larger is better."""
    import torch

    bits = (scores + 0.0).view(torch.int32)  # + 0.0 folds -0.0 into 0.0, as fcmp does
    ordered = torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits).to(torch.int64)
    return (ordered << 32) | (_LOW32 - rows)[None, :]
