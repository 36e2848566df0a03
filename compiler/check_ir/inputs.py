"""Which inputs the differential stage runs.

The quick pass runs about ``samples`` inputs: boundary
values of every argument (0, ±1, ±2, the signed and unsigned extremes and
their neighbours, powers of two and their neighbours) in combination, then
uniform random values, then random small magnitudes. When the arguments total
at most 32 bits and the proof did not settle the question, the exhaustive
pass sweeps the whole input space (the JIT loop decodes a counter, so nothing
is materialised).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

EXHAUSTIVE_BITS = 32


@dataclass(frozen=True)
class InputPlan:
    mode: str                       # sweep | vector
    count: int
    widths: tuple[int, ...]
    columns: np.ndarray | None = None   # uint64, one row per argument

    def inputs_at(self, index: int) -> list[int]:
        """The argument values of input number ``index`` (unsigned)."""
        if self.mode == "sweep":
            out, at = [], 0
            for width in self.widths:
                out.append((index >> at) & ((1 << width) - 1))
                at += width
            return out
        return [int(col[index]) for col in self.columns]


def boundary_values(width: int) -> list[int]:
    m = (1 << width) - 1
    smin, smax = 1 << (width - 1), (1 << (width - 1)) - 1
    values = {0, 1, 2, 3, m, m - 1, smin, smin + 1, smax, smax - 1}
    for k in range(1, width):
        values |= {1 << k, (1 << k) - 1, ((1 << k) + 1), m ^ ((1 << k) - 1)}
    return sorted(v & m for v in values)


def exhaustive_plan(widths: tuple[int, ...]) -> InputPlan | None:
    """Every input, when the arguments total ≤ 32 bits."""
    total = sum(widths)
    return InputPlan("sweep", 1 << total, widths) if total <= EXHAUSTIVE_BITS else None


def plan_inputs(widths: tuple[int, ...], samples: int, seed: int = 0) -> InputPlan:
    """The quick pass: every input when there are at most ``samples`` of them,
    else about ``samples`` boundary and random vectors."""
    if sum(widths) <= EXHAUSTIVE_BITS and 1 << sum(widths) <= max(samples, 1):
        return InputPlan("sweep", 1 << sum(widths), widths)
    rng = np.random.default_rng(seed)
    samples = max(samples, 1)
    per_arg = [boundary_values(w) for w in widths]
    combos = 1
    for values in per_arg:
        combos *= len(values)
    rows = []
    if combos <= samples // 2:
        rows = list(itertools.product(*per_arg))
        boundary = np.array(rows, dtype=np.uint64).T.reshape(len(widths), -1)
    else:  # too many combinations: sample them
        n = samples // 2
        boundary = np.stack([np.array(v, dtype=np.uint64)[rng.integers(0, len(v), n)]
                             for v in per_arg])
    left = max(samples - boundary.shape[1], 0)
    uniform = np.stack([_random_bits(rng, w, left - left // 4) for w in widths])
    small = np.stack([(rng.integers(-64, 64, left // 4).astype(np.int64).astype(np.uint64)
                       & np.uint64((1 << w) - 1)) for w in widths])
    columns = np.ascontiguousarray(np.concatenate([boundary, uniform, small], axis=1))
    return InputPlan("vector", columns.shape[1], widths, columns)


def _random_bits(rng, width: int, n: int) -> np.ndarray:
    raw = rng.integers(0, 1 << 63, n, dtype=np.uint64, endpoint=True) * np.uint64(2) \
        + rng.integers(0, 2, n, dtype=np.uint64)
    if width >= 64:
        return raw
    return raw & np.uint64((1 << width) - 1)
