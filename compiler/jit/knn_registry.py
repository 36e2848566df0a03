"""The knn scan kernels in the kernel registry (see ``registry``).

One variant per (instruction set, row stride): the runtime compiles exactly one
library per pair (``knn_kernels.get_kernels``), holding one entry function per
register block. The reference is the torch path (``knn_fallback``), which must
give bit-identical rows and scores.
"""
from __future__ import annotations

from nsl.compiler.jit.registry import KernelSpec, Variant, register

DEFAULT_STRIDES = (64, 128)
MAX_ROWS = 160       # small problems: the self-check runs many of them
MAX_QUERIES = 19     # 1..19 reach every register block, the lanes kernel and the padded remainder
MAX_K = 12


def strides_for(dims) -> list[int]:
    """Row strides of indexes of these dimensions (``None``: the defaults)."""
    from nsl.compiler.jit.knn_kernels import ROW_ALIGN

    if dims is None:
        return list(DEFAULT_STRIDES)
    return sorted({-(-max(int(d), 1) // ROW_ALIGN) * ROW_ALIGN for d in dims})


def _variants(features: frozenset, dims) -> list[Variant]:
    from nsl.compiler.jit.knn_isa import supported_isas

    return [Variant("knn", (("isa", isa), ("stride", stride)))
            for stride in strides_for(dims) for isa in supported_isas(features)]


def _lower(variant: Variant, header: str) -> str:
    from nsl.compiler.jit.knn_ir import scan_module
    from nsl.compiler.jit.knn_isa import ISAS
    from nsl.compiler.jit.knn_kernels import block_functions

    isa = ISAS[variant.get("isa")]
    return scan_module(isa, variant.get("stride"), block_functions(isa), header)


def _entries(variant: Variant) -> tuple[str, ...]:
    from nsl.compiler.jit.knn_isa import ISAS
    from nsl.compiler.jit.knn_kernels import block_functions

    return tuple(block_functions(ISAS[variant.get("isa")]))


def _random_inputs(variant: Variant, rng):
    """``(codes, row_scale, row_bias, queries, query_scale), k``; a third of the
    problems use few distinct codes and scales, so scores tie and the row order
    of ties is tested too."""
    import numpy as np

    stride = variant.get("stride")
    n_rows = int(rng.integers(0, MAX_ROWS + 1))
    n_queries = int(rng.integers(1, MAX_QUERIES + 1))
    dim = int(rng.integers(1, stride + 1))
    ties = rng.random() < 1 / 3
    spread = 3 if ties else 256
    low = 128 - spread // 2
    codes = rng.integers(0, 256, (n_rows, stride)).astype(np.uint8)  # padding: any bytes
    codes[:, :dim] = rng.integers(low, low + spread, (n_rows, dim))
    queries = np.zeros((n_queries, stride), np.int8)
    queries[:, :dim] = rng.integers(-127, 128, (n_queries, dim))
    if ties:
        row_scale = np.full(n_rows, 0.5, np.float32)
        row_bias = rng.integers(-1, 2, n_rows).astype(np.float32)
    else:
        row_scale = (rng.random(n_rows) + 0.25).astype(np.float32)
        row_bias = rng.standard_normal(n_rows).astype(np.float32)
    query_scale = (rng.random(n_queries) + 0.25).astype(np.float32)
    k = int(rng.integers(1, MAX_K + 1))
    if rng.random() < 1 / 3:
        row_bias = None  # the entries that never read row biases (ip, cosine)
    return (codes, row_scale, row_bias, queries, query_scale), k


def _run(library, variant: Variant, inputs):
    from nsl.compiler.jit.knn_isa import ISAS
    from nsl.compiler.jit.knn_kernels import _ScanKernels

    problem, k = inputs
    kernels = _ScanKernels(library.codegen, ISAS[variant.get("isa")], variant.get("stride"), library)
    return kernels.scan(*problem, k, threads=1)


def _reference(variant: Variant, inputs):
    from nsl.compiler.jit.knn_fallback import torch_scan

    problem, k = inputs
    return torch_scan(*problem, k)


def _in_use(variant: Variant, features: frozenset) -> bool:
    """The variant ``knn_scan`` picks: ``NSL_KNN_ISA`` if set, else the CPU's best."""
    import os

    from nsl.compiler.jit.knn_isa import best_isa

    return variant.get("isa") == (os.environ.get("NSL_KNN_ISA") or best_isa(features))


def _signature() -> str:
    from nsl.compiler.jit.knn_ir import SIGNATURE
    return SIGNATURE


KNN = register(KernelSpec(
    name="knn", signature=_signature(), variants=_variants, lower=_lower, entries=_entries,
    random_inputs=_random_inputs, run=_run, reference=_reference, in_use=_in_use))
