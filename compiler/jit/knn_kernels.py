"""Calling the fused int8 scan + top-k kernels: compile once, split rows across
threads, merge per-thread heaps; a torch path with identical results when LLVM
is unavailable.

``knn_scan`` is the one entry point. Its contract (shared by every path and by
the numpy reference in the tests):

* ``codes``: uint8 ``[N, stride]`` — database bytes stored biased
  (``u = x + 128``); ``stride`` a multiple of :data:`ROW_ALIGN`; padding bytes
  are arbitrary because the query is zero there.
* ``queries``: int8 ``[B, stride]``, zero past the dimension.
* score of (query j, row i) = ``float32(dot) * row_scale[i] * query_scale[j]
  + row_bias[i]``, computed in float32 in that order; ``dot`` the exact int32
  dot product of the signed values. ``row_bias`` may be ``None``: all zeros,
  never read (+0.0 is still added, so -0.0 scores become +0.0 as before).
* result: ``rows int64 [B, k]``, ``scores float32 [B, k]``, best first (higher
  score, then lower row); slots beyond N hold row ``-1`` and score ``-inf``.
"""
from __future__ import annotations

import ctypes
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

ROW_ALIGN = 64          # widest chunk any variant reads (one zmm)
EMPTY_ROW = 2**63 - 1   # heap sentinel, ranks below every real row
MIN_ROWS_PER_THREAD = 16384

_kernels: dict[tuple, "_ScanKernels"] = {}
_resolved: dict[tuple, "_ScanKernels"] = {}  # (stride, requested variant) → kernels
_kernels_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def knn_scan(codes, row_scale, row_bias, queries, query_scale, k: int,
             threads: int | None = None, isa: str | None = None):
    """Top-``k`` rows of ``codes`` for every query (see the module docstring)."""
    import numpy as np

    n_rows, stride = codes.shape
    n_queries = queries.shape[0]
    k = int(k)
    if stride % ROW_ALIGN or queries.shape[1] != stride:
        raise ValueError(f"row stride {stride} must be a multiple of {ROW_ALIGN} "
                         f"and match the queries ({queries.shape[1]})")
    if k <= 0 or n_queries == 0:
        return np.empty((n_queries, max(k, 0)), np.int64), np.empty((n_queries, max(k, 0)), np.float32)
    if n_rows == 0:
        return _empty_result(n_queries, k)
    choice = isa or os.environ.get("NSL_KNN_ISA") or None
    kernels = _resolved.get((stride, choice))
    if kernels is None:  # first call for this stride: decide once, then reuse
        from nsl.compiler.jit.codegen import llvm_available
        if choice == "torch" or not llvm_available():
            from nsl.compiler.jit.knn_fallback import torch_scan
            return torch_scan(codes, row_scale, row_bias, queries, query_scale, k)
        kernels = _resolved[(stride, choice)] = get_kernels(stride, choice)
    return kernels.scan(codes, row_scale, row_bias, queries, query_scale, k,
                        default_threads() if threads is None else threads)


def default_threads() -> int:
    """``NSL_THREADS`` if set, else every CPU this process may use."""
    env = os.environ.get("NSL_THREADS")
    if env:
        return max(1, int(env))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def get_kernels(stride: int, isa: str | None = None) -> "_ScanKernels":
    """The compiled kernels for this row stride on this CPU (``isa`` forces a variant)."""
    from nsl.compiler.jit.codegen import get_codegen
    from nsl.compiler.jit.knn_isa import ISAS, best_isa, supported_isas

    codegen = get_codegen()
    name = isa or best_isa(codegen.enabled_features)
    if name not in supported_isas(codegen.enabled_features):
        raise ValueError(f"this CPU ({codegen.cpu_name}) cannot run the {name!r} kernels")
    key = (name, stride)
    with _kernels_lock:
        if key not in _kernels:
            _kernels[key] = _ScanKernels(codegen, ISAS[name], stride)
        return _kernels[key]


def block_functions(isa) -> dict:
    """Entry name → ((QB, RB), queries_outer, with_bias) of the scan library of
    ``isa``: per block, a kernel that reads row biases and one that does not."""
    # The widest block runs whole batches (queries inside rows, so a row is
    # read once for all of them); the others only take a remainder of
    # exactly QB queries, so they stream rows inside the query block.
    widest = max(isa.blocks)
    return {f"knn_scan_q{qb}{'' if with_bias else '_nobias'}": ((qb, rb), (qb, rb) != widest, with_bias)
            for with_bias in (True, False) for qb, rb in isa.blocks}


def _empty_result(n_queries: int, k: int):
    import numpy as np
    return (np.full((n_queries, k), -1, np.int64),
            np.full((n_queries, k), -np.inf, np.float32))


class _ScanKernels:
    """One kernel per register block (QB queries × RB rows) of one ISA and stride."""

    def __init__(self, codegen, isa, stride: int, library=None):
        from nsl.compiler.jit.knn_ir import SIGNATURE, scan_module

        self.isa = isa
        self.stride = stride
        names = block_functions(isa)
        if library is None:  # else a library of the same IR (the self-check's variants)
            library = codegen.create_library(f"knn_{isa.name}_s{stride}", signature=SIGNATURE)
            library.add_ir(scan_module(isa, stride, names, codegen.ir_header()))
        p, i64 = ctypes.c_void_p, ctypes.c_int64
        argtypes = (p, p, p, i64, i64, p, p, p, i64, i64, p, p)
        self.library = library
        self._plans: dict[int, list] = {}
        self.functions = {(block, with_bias): library.get_function(name, None, *argtypes)
                          for name, (block, _, with_bias) in names.items()}

    def plan(self, n_queries: int) -> list[tuple[tuple[int, int], int, int]]:
        """Split queries into (block, first, count) segments, count a multiple of
        the block's QB; the last segment may run past ``n_queries`` (padding)."""
        cached = self._plans.get(n_queries)
        if cached is None:
            cached = self._plans[n_queries] = self._make_plan(n_queries)
        return cached

    def _make_plan(self, n_queries: int):
        blocks = sorted(self.isa.blocks, reverse=True)
        widest = blocks[0][0]
        whole = n_queries - n_queries % widest
        segments = [(blocks[0], 0, whole)] if whole else []
        rest = n_queries - whole
        if rest:
            block = min((b for b in blocks if b[0] >= rest), key=lambda b: b[0])
            segments.append((block, whole, block[0]))
        return segments

    def scan(self, codes, row_scale, row_bias, queries, query_scale, k, threads):
        import numpy as np

        codes = np.ascontiguousarray(codes, np.uint8)
        row_scale = np.ascontiguousarray(row_scale, np.float32)
        with_bias = row_bias is not None
        if with_bias:
            row_bias = np.ascontiguousarray(row_bias, np.float32)
        n_rows, n_queries = codes.shape[0], queries.shape[0]
        segments = self.plan(n_queries)
        padded = segments[-1][1] + segments[-1][2]
        signed = np.zeros((padded, self.stride), np.int8)
        signed[:n_queries] = queries
        scales = np.zeros(padded, np.float32)
        scales[:n_queries] = query_scale
        query_buf, biases = self.isa.encode_queries(signed)
        threads = max(1, min(int(threads), n_rows // MIN_ROWS_PER_THREAD or 1))
        heap_scores = np.full((threads, padded, k), -np.inf, np.float32)
        heap_rows = np.full((threads, padded, k), EMPTY_ROW, np.int64)
        # Raw addresses, computed once: numpy's .ctypes costs microseconds a use,
        # and a single in-cache query scan takes only tens of them.
        calls = []
        query_row_bytes = query_buf.strides[0]
        for block, j0, count in segments:
            lane_scale, lane_bias = _lane_constants(scales, biases, block, j0, count)
            calls.append((self.functions[block, with_bias], _address(query_buf) + j0 * query_row_bytes,
                          _address(lane_scale), _address(lane_bias), count, j0))
        rows_address = (_address(codes), _address(row_scale),
                        _address(row_bias) if with_bias else None)  # NULL: never read
        heap_address = (_address(heap_scores), _address(heap_rows))
        heap_stride = padded * k

        def run(t):
            r0, r1 = n_rows * t // threads, n_rows * (t + 1) // threads
            for function, query_address, lane_scale, lane_bias, count, j0 in calls:
                offset = t * heap_stride + j0 * k
                function(*rows_address, r0, r1, query_address, lane_scale, lane_bias, count, k,
                         heap_address[0] + 4 * offset, heap_address[1] + 8 * offset)

        if threads == 1:
            run(0)
        else:
            list(_thread_pool().map(run, range(threads)))  # ctypes drops the GIL
        return merge_heaps(heap_scores[:, :n_queries], heap_rows[:, :n_queries], k)


def _lane_constants(scales, biases, block, j0, count):
    """Per-query constants spread over a block's pairs: lane P → query P // RB."""
    index = _lane_index(block, count) + j0
    return scales[index], biases[index]  # fancy indexing: fresh contiguous arrays


@functools.lru_cache(maxsize=256)
def _lane_index(block, count):
    import numpy as np

    qb, rb = block
    query_of_lane = np.arange(qb * rb) // rb
    return np.arange(0, count, qb)[:, None] + query_of_lane[None, :]


def _address(array) -> int:
    """Address of a C-contiguous array's data (a third of the cost of .ctypes.data)."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))
    except (TypeError, ValueError):  # read-only or empty
        return array.ctypes.data


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(2, default_threads()),
                                   thread_name_prefix="nsl-knn")
    return _pool


def merge_heaps(score_parts, row_parts, k: int):
    """Best ``k`` of several per-part candidate lists ``[parts, B, k]``, in the
    contract's order."""
    import numpy as np

    scores = np.concatenate(score_parts, axis=1) if len(score_parts) > 1 else score_parts[0]
    rows = np.concatenate(row_parts, axis=1) if len(row_parts) > 1 else row_parts[0]
    order = np.lexsort((rows, -scores), axis=1)[:, :k]
    pick = np.arange(len(order))[:, None]  # plain indexing: take_along_axis costs µs a call
    top_rows = rows[pick, order]
    top_scores = scores[pick, order]
    top_rows[top_rows == EMPTY_ROW] = -1
    return top_rows, top_scores

