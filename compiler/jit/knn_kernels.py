"""Calling the fused int8 scan + top-k kernels: compile once, split rows across
threads, merge per-thread heaps; a torch path with identical results when LLVM
is unavailable.

``knn_scan`` is the entry point; ``knn_scan_floats`` takes float queries and
quantizes them natively (a single query's scan in cache takes only tens of
microseconds, so everything around it -- quantizing, encoding, merging and
sorting the heaps -- is native too, into buffers kept between calls). The
contract (shared by every path and by the numpy reference in the tests):

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
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from nsl.compiler.jit.knn_ir_queries import ENCODE_ARGTYPES, PREPARE_ARGTYPES, SPREAD_ARGTYPES
from nsl.compiler.jit.knn_ir_topk import EMPTY_ROW

ROW_ALIGN = 64          # widest chunk any variant reads (one zmm)
MIN_ROWS_PER_THREAD = 16384

_kernels: dict[tuple, "_ScanKernels"] = {}
_resolved: dict[tuple, "_ScanKernels"] = {}  # (stride, requested variant) → kernels
_kernels_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def knn_scan(codes, row_scale, row_bias, queries, query_scale, k: int,
             threads: int | None = None, isa: str | None = None):
    """Top-``k`` rows of ``codes`` for every query (see the module docstring)."""
    kernels = _kernels_for(codes.shape[1], isa)
    if kernels is not None:
        return kernels.scan(codes, row_scale, row_bias, queries, query_scale, k, threads)
    trivial = _trivial_result(codes, queries, k)
    if trivial is not None:
        return trivial
    from nsl.compiler.jit.knn_fallback import torch_scan
    return torch_scan(codes, row_scale, row_bias, queries, query_scale, int(k))


def knn_scan_floats(codes, row_scale, row_bias, queries, dim_scale, scale_factor: float, k: int,
                    threads: int | None = None, isa: str | None = None):
    """``knn_scan`` of float32 queries ``[B, dim]``, quantized natively exactly as
    ``Quantizer.quantize_queries`` does (``dim_scale``: its dimension scales or
    None), their scales times ``scale_factor``; None where the JIT cannot run
    (the caller then quantizes in numpy and calls ``knn_scan``)."""
    kernels = _kernels_for(codes.shape[1], isa)
    if kernels is None:
        return None
    return kernels.scan_floats(codes, row_scale, row_bias, queries, dim_scale, scale_factor, k, threads)


def _trivial_result(codes, queries, k: int, floats: bool = False):
    """The result when no row or no query takes part, else None; a ValueError for
    shapes that do not fit (int8 queries as wide as the row stride, float
    queries no wider)."""
    import numpy as np

    stride, width = codes.shape[1], queries.shape[1]
    if stride % ROW_ALIGN or (width > stride if floats else width != stride):
        raise ValueError(f"row stride {stride} must be a multiple of {ROW_ALIGN} and fit the "
                         f"queries ({width} wide)")
    n_queries, k = queries.shape[0], int(k)
    if k <= 0 or n_queries == 0:
        return np.empty((n_queries, max(k, 0)), np.int64), np.empty((n_queries, max(k, 0)), np.float32)
    if codes.shape[0] == 0:
        return _empty_result(n_queries, k)
    return None


class VariantError(ValueError):
    """A kernel variant that does not exist, or that this CPU cannot run."""

    user_error = True  # the CLI reports it as `nslc: error: ...`, not as a bug


def _kernels_for(stride: int, isa: str | None):
    """The kernels ``knn_scan`` uses for this stride, or None for the torch path."""
    from_env = not isa and os.environ.get("NSL_KNN_ISA")
    choice = isa or from_env or None
    kernels = _resolved.get((stride, choice))
    if kernels is None:  # first call for this stride: decide once, then reuse
        from nsl.compiler.jit.codegen import llvm_available
        if choice == "torch" or not llvm_available():
            return None
        try:
            kernels = _resolved[(stride, choice)] = get_kernels(stride, choice)
        except VariantError as exc:
            if from_env:
                raise VariantError(f"NSL_KNN_ISA={choice}: {exc}") from None
            raise
    return kernels


class SettingError(ValueError):
    """A bad ``NSL_*`` environment setting."""

    user_error = True  # the CLI reports it as `nslc: error: ...`, not as a bug


def default_threads() -> int:
    """``NSL_THREADS`` if set, else every CPU this process may use. A setting
    that is not an integer ≥ 1 is a SettingError (as ``--threads 0`` is refused)."""
    env = os.environ.get("NSL_THREADS")
    if env is not None and env.strip():
        try:
            threads = int(env.strip())
        except ValueError:
            threads = 0
        if threads < 1:
            raise SettingError(f"NSL_THREADS={env}: expected a whole number of threads, at least 1")
        return threads
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def get_kernels(stride: int, isa: str | None = None) -> "_ScanKernels":
    """The compiled kernels for this row stride on this CPU (``isa`` forces a variant)."""
    from nsl.compiler.jit.codegen import get_codegen
    from nsl.compiler.jit.knn_isa import ISAS, best_isa, supported_isas

    codegen = get_codegen()
    name = isa or best_isa(codegen.enabled_features)
    runnable = supported_isas(codegen.enabled_features)
    if name not in ISAS:
        raise VariantError(f"no kernel variant is named {name!r}; this CPU ({codegen.cpu_name}) "
                           f"runs {', '.join(runnable)} (or torch)")
    if name not in runnable:
        raise VariantError(f"this CPU ({codegen.cpu_name}) cannot run the {name!r} kernels; "
                           f"it runs {', '.join(runnable)} (or torch)")
    key = (name, stride)
    with _kernels_lock:
        if key not in _kernels:
            _kernels[key] = _ScanKernels(codegen, ISAS[name], stride)
        return _kernels[key]


def block_functions(isa) -> dict:
    """Entry name → ((QB, RB), kind, with_bias) of the scan library of ``isa``
    (kinds: ``knn_ir.KERNEL_KINDS``): per kernel, one that reads row biases and
    one that does not."""
    # The widest register block runs whole batches (queries inside rows, so a
    # row is read once for all of them) unless the ISA has a lanes kernel,
    # which does that faster; the other blocks only take a remainder of
    # exactly QB queries, so they stream rows inside the query block.
    widest = max(isa.blocks)
    kernels = {f"knn_scan_q{qb}": ((qb, rb), "rows_outer" if (qb, rb) == widest else "queries_outer")
               for qb, rb in isa.blocks}
    if isa.lanes:
        kernels["knn_scan_lanes"] = (isa.lanes_block, "lanes")
    return {f"{name}{'' if with_bias else '_nobias'}": (block, kind, with_bias)
            for with_bias in (True, False) for name, (block, kind) in kernels.items()}


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
        self.finish = library.get_function("knn_finish", None, p, p, i64, i64, i64, i64)
        types = {"p": p, "i64": i64, "float": ctypes.c_float}
        self.prepare, self.encode, self.spread = (
            library.get_function(name, None, *(types[t] for t in argtypes))
            for name, argtypes in (("knn_prepare", PREPARE_ARGTYPES), ("knn_encode", ENCODE_ARGTYPES),
                                   ("knn_spread", SPREAD_ARGTYPES)))
        self._local = threading.local()

    def plan(self, n_queries: int) -> list[tuple[tuple[int, int], int, int]]:
        """Split queries into (block, first, count) segments, count a multiple of
        the block's QB; the last segment may run past ``n_queries`` (padding)."""
        cached = self._plans.get(n_queries)
        if cached is None:
            cached = self._plans[n_queries] = self._make_plan(n_queries)
        return cached

    def _make_plan(self, n_queries: int):
        segments, start = [], 0
        if self.isa.lanes and n_queries >= self.isa.lanes:  # the lanes kernel, if there is one
            start = n_queries - n_queries % self.isa.lanes
            segments.append((self.isa.lanes_block, 0, start))
        blocks = sorted(self.isa.blocks, reverse=True)
        widest = blocks[0][0]
        rest = n_queries - start
        whole = rest - rest % widest
        if whole:
            segments.append((blocks[0], start, whole))
        rest -= whole
        if rest:
            block = min((b for b in blocks if b[0] >= rest), key=lambda b: b[0])
            segments.append((block, start + whole, block[0]))
        return segments

    def scan(self, codes, row_scale, row_bias, queries, query_scale, k: int, threads: int | None):
        """``knn_scan`` on these kernels."""
        trivial = _trivial_result(codes, queries, k)
        if trivial is not None:
            return trivial
        batch = self.batch(queries.shape[0])
        batch.load(queries, query_scale)
        return self.run(codes, row_scale, row_bias, batch, int(k), threads)

    def scan_floats(self, codes, row_scale, row_bias, queries, dim_scale, scale_factor: float,
                    k: int, threads: int | None):
        """``knn_scan_floats`` on these kernels."""
        import numpy as np

        trivial = _trivial_result(codes, queries, k, floats=True)
        if trivial is not None:
            return trivial
        queries = np.ascontiguousarray(queries, np.float32)
        if dim_scale is not None:
            dim_scale = np.ascontiguousarray(dim_scale, np.float32)
        batch = self.batch(queries.shape[0])
        batch.load_floats(queries, dim_scale, scale_factor)
        return self.run(codes, row_scale, row_bias, batch, int(k), threads)

    def run(self, codes, row_scale, row_bias, batch: "_QueryBatch", k: int, threads: int | None):
        """The top-``k`` rows of ``codes`` for the queries loaded into ``batch``."""
        import numpy as np

        codes = np.ascontiguousarray(codes, np.uint8)
        row_scale = np.ascontiguousarray(row_scale, np.float32)
        with_bias = row_bias is not None
        if with_bias:
            row_bias = np.ascontiguousarray(row_bias, np.float32)
        n_rows, n_queries = codes.shape[0], batch.n_queries
        threads = default_threads() if threads is None else int(threads)
        threads = max(1, min(threads, n_rows // MIN_ROWS_PER_THREAD or 1))
        # The heaps are the result: fresh arrays, part 0's heaps once knn_finish has run.
        heap_scores = np.full((threads, batch.padded, k), -np.inf, np.float32)
        heap_rows = np.full((threads, batch.padded, k), EMPTY_ROW, np.int64)
        rows_address = (_address(codes), _address(row_scale),
                        _address(row_bias) if with_bias else None)  # NULL: never read
        scores_address, rows_heap_address = _address(heap_scores), _address(heap_rows)
        heap_stride = batch.padded * k
        calls = [(self.functions[block, with_bias], *rest) for block, *rest in batch.calls]

        def scan_part(t):
            r0, r1 = n_rows * t // threads, n_rows * (t + 1) // threads
            for function, query_address, lane_scale, lane_bias, count, j0 in calls:
                offset = t * heap_stride + j0 * k
                function(*rows_address, r0, r1, query_address, lane_scale, lane_bias, count, k,
                         scores_address + 4 * offset, rows_heap_address + 8 * offset)

        if threads == 1:
            scan_part(0)
        else:
            # ctypes drops the GIL; part 0 runs here, saving one thread hand-off
            others = [_thread_pool().submit(scan_part, t) for t in range(1, threads)]
            scan_part(0)
            for part in others:
                part.result()
        self.finish(scores_address, rows_heap_address, threads, heap_stride, n_queries, k)
        return heap_rows[0, :n_queries], heap_scores[0, :n_queries]

    def batch(self, n_queries: int) -> "_QueryBatch":
        """This thread's query buffers for batches of ``n_queries`` (load, then scan)."""
        if n_queries > MAX_KEPT_BATCH:  # its scan dwarfs allocating: do not hold the memory
            return _QueryBatch(self, n_queries)
        batches = getattr(self._local, "batches", None)
        if batches is None:
            batches = self._local.batches = {}
        batch = batches.get(n_queries)
        if batch is None:
            if len(batches) >= MAX_BATCH_SHAPES:
                batches.clear()
            batch = batches[n_queries] = _QueryBatch(self, n_queries)
        return batch


MAX_BATCH_SHAPES = 16  # query buffers kept per thread and kernel set
MAX_KEPT_BATCH = 1024  # queries; larger batches get buffers for one scan only


class _QueryBatch:
    """The buffers a scan of ``n_queries`` queries reads, kept between scans (a
    single query's scan takes only tens of microseconds in cache, and numpy
    allocations and ``.ctypes`` addresses cost microseconds each): the queries
    padded to whole register blocks, their scales, their encoding for the ISA's
    step and its per-query bias, and those constants spread over each block's
    lanes. Loading is native (``knn_ir_queries``)."""

    def __init__(self, kernels: _ScanKernels, n_queries: int):
        import numpy as np

        self.kernels, self.n_queries = kernels, n_queries
        segments = kernels.plan(n_queries)
        self.padded = segments[-1][1] + segments[-1][2]
        stride = kernels.stride
        self.signed = np.zeros((self.padded, stride), np.int8)  # padding queries stay 0
        self.scales = np.zeros(self.padded, np.float32)
        self.biases = np.zeros(self.padded, np.int32)
        self.encoded = {"int8": self.signed,
                        "sign_mask": np.zeros((self.padded, 2 * stride), np.uint8),
                        "int16": np.zeros((self.padded, stride), np.int16)}[kernels.isa.query_encoding]
        self.addresses = tuple(_address(a) for a in (self.signed, self.scales, self.encoded, self.biases))
        self.spreads, self.calls, self._lanes = [], [], []
        # (target, source) of the copy into the lanes kernel's query layout, if it takes a
        # segment; the target is a view of that buffer and keeps it alive
        self._lanes_copy = None
        row_bytes = self.encoded.strides[0]
        for (qb, rb), j0, count in segments:
            lane_scale, lane_bias = np.empty(count * rb, np.float32), np.empty(count * rb, np.int32)
            self._lanes.append((lane_scale, lane_bias))  # the kernels hold their addresses
            self.spreads.append((j0, count, qb, rb, _address(lane_scale), _address(lane_bias)))
            if (qb, rb) == kernels.isa.lanes_block:
                layout = np.zeros(count * stride // 4 * kernels.isa.lanes_group_bytes // qb,
                                  self.encoded.dtype)
                source, target = lanes_view(kernels.isa, self.encoded[:count], layout)
                self._lanes_copy = (target, source)
                query_address = _address(layout)
            else:
                query_address = self.addresses[2] + j0 * row_bytes
            self.calls.append(((qb, rb), query_address, _address(lane_scale), _address(lane_bias),
                               count, j0))
        kernels.encode(self.addresses[0], self.padded, self.addresses[2], self.addresses[3])  # zeros

    def load(self, queries, query_scale) -> None:
        """Take int8 queries ``[n_queries, stride]`` and their scales."""
        n = self.n_queries
        self.signed[:n] = queries
        self.scales[:n] = query_scale
        signed, scales, encoded, biases = self.addresses
        self.kernels.encode(signed, n, encoded, biases)
        self._spread()

    def load_floats(self, queries, dim_scale, scale_factor: float) -> None:
        """Quantize and take float32 queries ``[n_queries, dim]`` (C-contiguous)."""
        signed, scales, encoded, biases = self.addresses
        self.kernels.prepare(_address(queries), None if dim_scale is None else _address(dim_scale),
                             self.n_queries, queries.shape[1], scale_factor,
                             signed, scales, encoded, biases)
        self._spread()

    def _spread(self) -> None:
        if self._lanes_copy is not None:
            import numpy as np
            np.copyto(*self._lanes_copy)
        _, scales, _, biases = self.addresses
        for spread in self.spreads:
            self.kernels.spread(scales, biases, *spread)


def lanes_view(isa, encoded, lanes):
    """``(source, target)``: views of a batch's encoded queries ``[n, ·]`` (``n``
    a multiple of ``isa.lanes``) and of the flat lanes-layout buffer such that
    copying source into target writes the layout ``knn_ir_lanes`` reads: per
    block of QL queries, per 4-byte group of dimensions, each query's 4 bytes
    in lane order -- for ``sign_mask`` the groups' mask bytes, then their |q|
    bytes (the encoding keeps both per 32-byte chunk: [32 mask | 32 |q|])."""
    ql = isa.lanes
    n = encoded.shape[0]
    blocks = n // ql
    if isa.query_encoding == "sign_mask":
        chunks = encoded.shape[1] // 64
        # encoded [block, a, chunk, part, group, byte] → [block, chunk, group, part, a, byte]
        source = encoded.reshape(blocks, ql, chunks, 2, 8, 4).transpose(0, 2, 4, 3, 1, 5)
        return source, lanes.reshape(blocks, chunks, 8, 2, ql, 4)
    groups = encoded.shape[1] // 4
    source = encoded.reshape(blocks, ql, groups, 4).transpose(0, 2, 1, 3)
    return source, lanes.reshape(blocks, groups, ql, 4)


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
