"""Run a recursive stratum's semi-naive loop in one call of a compiled kernel.

Used when tags carry no information (every stored tag is ``one`` and the
semiring's ``one`` absorbs, e.g. bool), llvmlite is available, the rules fit
``fixpoint_plan`` and the value ranges are small enough for bitmaps. Then:

1. lower-strata relations the rules join are indexed once (CSR: rows sorted by
   a packed key, ``off[key]`` per key value — direct addressing);
2. every stratum column gets a value range by interval propagation over the
   rules (values only flow from stored columns and literals), and each stratum
   relation a bitmap over its packed range, seeded with its rows so far (plus a
   copy, the snapshot that membership tests read, when some rule tests it:
   rows derived in an iteration are seen by the next one, as in the torch loop);
3. the kernel runs every iteration natively (delta scans, probes, bitmap
   dedup, appends; see ``compiler/jit/fixpoint_ir.py``), growing buffers on
   request, up to an iteration budget: the iteration limit, or a chunk of
   iterations between progress reports;
4. each relation's rows come back in key order straight from its bitmap (the
   packing is lexicographic), so the stored relation is one sorted run without
   a sort.

``run_native`` returns False, having changed nothing, whenever any condition
fails; the torch loop in ``executor`` is the reference and the fallback.
"""
from __future__ import annotations

import os
import time

import torch

from .fixpoint_plan import plan_stratum
from .keys import KeyCodec

BITS_LIMIT = 1 << 31           # bitmap bits per relation, snapshot included (256 MiB)
INITIAL_CAP = 1 << 22          # rows per relation buffer before the kernel asks for more
ENABLED = True                 # tests switch it off to compare with the torch loop
NO_LIMIT = 1 << 62             # the kernel's iteration limit when the caller sets none
PROGRESS_SECONDS = 0.2         # with progress wanted: about how long a chunk of iterations runs
CHUNK = None                   # tests: a fixed number of iterations per chunk instead


def available() -> bool:
    if not ENABLED or os.environ.get("NSL_NATIVE_FIXPOINT", "1") == "0":
        return False
    from nsl.compiler.jit import llvm_available
    return llvm_available()


def run_native(ex, stratum, kernels=None) -> bool:
    """Run ``stratum``'s loop rules natively; False (nothing done) if unsupported.
    ``kernels``: ``(fixpoint, bits_to_keys)`` to call instead of ``compile_fixpoint``'s (the
    JIT self-check passes those of the library it is checking).

    The kernel stops after ``ex.max_iterations`` iterations; if the last of them still
    derived rows, the relations and their deltas go to the store and ``ex.native_resume``
    is set: the torch loop runs the next iteration, which finds the fixpoint or raises its
    NoFixpointError, so the limit bounds the work and the error is the torch loop's. When
    ``ex`` wants progress, the kernel runs in chunks of iterations sized to end about every
    ``PROGRESS_SECONDS``, and each chunk ends with a report of the facts so far."""
    ex.native_resume = False
    if not ex.prov.one_is_absorbing or not available():
        return False
    if ex.max_iterations is not None and ex.max_iterations < 1:
        return False  # a call runs at least one iteration; the torch loop stops before it
    run = _NativeRun.prepare(ex, stratum, kernels)
    if run is None:
        return False
    stop = ex.max_iterations if ex.max_iterations is not None else NO_LIMIT
    report = ex.report if ex.wants_progress() else None
    chunk = 1
    while True:
        start = time.perf_counter()
        limit = stop if report is None else min(stop, run.iterations + chunk)
        if run.call(limit):
            break
        if report is not None:
            report(run.iterations, counts=run.counts())
        if run.iterations >= stop:  # the limit: the torch loop's next iteration decides
            run.store(ex.store)
            ex.deltas.update(run.deltas())
            ex.native_iterations, ex.native_resume = run.iterations, True
            return True
        chunk = CHUNK or _next_chunk(chunk, time.perf_counter() - start)
    ex.native_iterations = run.iterations
    run.store(ex.store)
    return True


def _next_chunk(chunk: int, seconds: float) -> int:
    """Iterations for the next chunk: about ``PROGRESS_SECONDS`` at the last chunk's pace,
    at most twice as many (an iteration may take much longer than the last ones)."""
    want = chunk * PROGRESS_SECONDS / seconds if seconds > 0 else 2 * chunk
    return max(1, min(2 * chunk, int(want)))


class _NativeRun:
    """The kernel's data for one stratum (``P``, ``A``, ``S``, buffers, bitmaps) between calls."""

    @classmethod
    def prepare(cls, ex, stratum, kernels):
        """The run, set up with the stratum's rows so far; None if the stratum does not fit."""
        types = {name: rel.types for name, rel in ex.store.items()}
        plan = plan_stratum(stratum, types, ex.interner)
        if plan is None:
            return None
        store = ex.store
        for name in set(plan.reads) | set(plan.rels):
            if any(run.tags is not None for run in store[name].runs):
                return None
        init = [store[r].consolidated() for r in plan.rels]
        indexes = [_index(store[s.rel].consolidated(), s) for s in plan.indexes]
        if any(x is None for x in indexes):
            return None
        from nsl.compiler.jit.fixpoint_spec import snapshotted
        snap = snapshotted(plan.kernel)
        ranges = _ranges(plan, init, indexes)
        packs = [_packing(rng, 2 if r in snap else 1) for r, rng in enumerate(ranges)]
        if any(p is None for p in packs):
            return None
        from nsl.compiler.jit.fixpoint_kernels import compile_fixpoint
        return cls(plan, init, indexes, packs, snap, kernels or compile_fixpoint(plan.kernel))

    def __init__(self, plan, init, indexes, packs, snap, kernels):
        from nsl.compiler.jit.fixpoint_spec import layout
        self.plan, self.packs = plan, packs
        self.fixpoint, self.bits_to_keys = kernels
        self.lay = lay = layout(plan.kernel)
        self.P = P = torch.zeros(lay["nP"], dtype=torch.int64)
        self.A = torch.zeros(max(lay["nA"], 1), dtype=torch.int64)
        self.S = S = torch.zeros(lay["nS"], dtype=torch.int64)
        self.keep = {}  # the tensor at each address the kernel holds (a grown buffer's is freed)
        self.bufs, self.bitmaps = [], []
        for r, (run, (lows, highs, strides, nbits)) in enumerate(zip(init, packs)):
            for c, (lo, hi, st) in enumerate(zip(lows, highs, strides)):
                P[lay["P"][("rel", r, "lo", c)]] = lo
                P[lay["P"][("rel", r, "hi", c)]] = hi
                P[lay["P"][("rel", r, "stride", c)]] = st
            bits = torch.zeros((nbits + 63) // 64, dtype=torch.int64)
            if run.n:
                key = _pack(run.cols, lows, strides, run.n)
                one = torch.ones_like(key)
                bits.index_add_(0, key >> 6, torch.bitwise_left_shift(one, key & 63))
            cap = min(nbits, max(4 * run.n, INITIAL_CAP))
            cols = [torch.empty(cap, dtype=torch.int64) for _ in run.cols]
            for buf, col in zip(cols, run.cols):
                buf[:run.n] = col
            self.bufs.append(cols)
            self.bitmaps.append(bits)
            self._addr(("rel", r, "bits"), bits)
            if r in snap:
                self._addr(("rel", r, "snap"), bits.clone())
            for c, buf in enumerate(cols):
                self._addr(("rel", r, "col", c), buf)
            for f, v in (("count", run.n), ("dstart", 0), ("dend", run.n), ("cap", cap)):
                S[lay["S"][("rel", r, f)]] = v
        for x, (off, payload, lows, highs, strides) in enumerate(indexes):
            for c, (lo, hi, st) in enumerate(zip(lows, highs, strides)):
                P[lay["P"][("idx", x, "lo", c)]] = lo
                P[lay["P"][("idx", x, "hi", c)]] = hi
                P[lay["P"][("idx", x, "stride", c)]] = st
            self._addr(("idx", x, "off"), off)
            for c, col in enumerate(payload):
                self._addr(("idx", x, "col", c), col)
        for j, value in enumerate(plan.lits):
            P[lay["P"][("lit", j)]] = value

    def _addr(self, key, t):
        self.keep[key] = t
        self.A[self.lay["A"][key]] = t.data_ptr()

    def _state(self, r, field) -> int:
        return int(self.S[self.lay["S"][("rel", r, field)]])

    @property
    def iterations(self) -> int:
        """Iterations run so far (the last one at the fixpoint is the one that found nothing)."""
        return int(self.S[self.lay["S"]["iterations"]])

    def call(self, limit: int) -> bool:
        """Run iterations until the fixpoint (True) or until ``limit`` iterations have run and
        the last derived rows (False), growing buffers on the way."""
        self.P[self.lay["P"]["limit"]] = limit
        P, A, S = self.P.data_ptr(), self.A.data_ptr(), self.S.data_ptr()
        while True:
            code = self.fixpoint(P, A, S)
            if code <= 0:
                return code == 0
            self._grow(code - 1)  # relation r's buffers are full: the call redoes the iteration

    def _grow(self, r):
        count = self._state(r, "count")
        cap = min(self.packs[r][3], 2 * count)
        grown = [torch.empty(cap, dtype=torch.int64) for _ in self.bufs[r]]
        for new, old in zip(grown, self.bufs[r]):
            new[:count] = old[:count]
        self.bufs[r] = grown
        for c, buf in enumerate(grown):
            self._addr(("rel", r, "col", c), buf)
        self.S[self.lay["S"][("rel", r, "cap")]] = cap

    def counts(self) -> dict:
        """Rows stored so far, per stratum relation."""
        return {name: self._state(r, "count") for r, name in enumerate(self.plan.rels)}

    def store(self, store):
        """Load every relation's rows into ``store``: in key order straight from its bitmap."""
        for r, name in enumerate(self.plan.rels):
            lows, highs, strides, nbits = self.packs[r]
            count = self._state(r, "count")
            keys = torch.empty(count, dtype=torch.int64)
            bits = self.bitmaps[r]
            n = self.bits_to_keys(bits.data_ptr(), bits.shape[0], keys.data_ptr())
            if n != count:
                raise AssertionError(f"native fixpoint: {n} keys for {count} rows of {name}")
            cols = _unpack(keys, lows, highs, strides)
            codec, keys = _codec(cols, keys, lows, highs)
            store[name].load_sorted(cols, keys, codec)

    def deltas(self) -> dict:
        """The rows the last iteration derived, per stratum relation: sorted runs under the
        codecs of :meth:`store` (what the torch loop's next iteration scans)."""
        from .table import Run
        out = {}
        for r, name in enumerate(self.plan.rels):
            lows, highs, strides, _ = self.packs[r]
            start, end = self._state(r, "dstart"), self._state(r, "dend")
            key = _pack([b[start:end] for b in self.bufs[r]], lows, strides, end - start)
            key, perm = torch.sort(key)
            cols = [b[start:end][perm] for b in self.bufs[r]]
            out[name] = Run(cols, None, _codec(cols, key, lows, highs)[1])
        return out


def _codec(cols, keys, lows, highs):
    """``(codec, keys under it)`` for rows of the kernel's packing ``keys``: the packing
    itself for several columns, the value for one."""
    if len(cols) > 1:
        return KeyCodec.for_ranges(lows, highs), keys  # its keys are the kernel's keys
    if cols:
        return KeyCodec("single"), cols[0]
    return KeyCodec("empty"), keys


def _pack(cols, lows, strides, n=0):
    key = torch.zeros(n, dtype=torch.int64) if not cols else None
    for col, lo, st in zip(cols, lows, strides):
        term = (col - lo) * st if st != 1 else col - lo
        key = term if key is None else key.add_(term)
    return key


def _unpack(keys, lows, highs, strides):
    cols = []
    for c, (lo, hi, st) in enumerate(zip(lows, highs, strides)):
        v = keys if st == 1 else torch.div(keys, st, rounding_mode="floor")
        if c > 0:
            v = torch.remainder(v, hi - lo + 1)
        cols.append(v + lo if lo else v)
    return cols


def _index(run, spec):
    """``(off, payload, lows, highs, strides)``: a direct-addressed CSR of ``run`` on
    ``spec.key_pos``, or None when the key range is too sparse for it."""
    rows = None
    if spec.eqs:
        mask = torch.ones(run.n, dtype=torch.bool)
        for p, q in spec.eqs:
            mask &= run.cols[p] == run.cols[q]
        rows = torch.nonzero(mask).reshape(-1)
    cols = [c if rows is None else c[rows] for c in run.cols]
    m = cols[0].shape[0] if cols else run.n
    if not spec.key_pos:
        off = torch.tensor([0, m], dtype=torch.int64)
        return off, [cols[p].contiguous() for p in spec.payload], [], [], []
    keycols = [cols[p] for p in spec.key_pos]
    if m == 0:
        lows, highs = [0] * len(keycols), [0] * len(keycols)
    else:
        mm = torch.stack([torch.stack(torch.aminmax(k)) for k in keycols]).tolist()
        lows, highs = [a for a, _ in mm], [b for _, b in mm]
    strides, size = _strides(lows, highs)
    if size > max(8 * m, 1 << 20):
        return None
    key = _pack(keycols, lows, strides)
    key, perm = torch.sort(key, stable=True)
    off = torch.zeros(size + 1, dtype=torch.int64)
    torch.cumsum(torch.bincount(key, minlength=size), 0, out=off[1:])
    return off, [cols[p][perm] for p in spec.payload], lows, highs, strides


def _strides(lows, highs):
    strides, size = [], 1
    for lo, hi in reversed(list(zip(lows, highs))):
        strides.append(size)
        size *= hi - lo + 1
    return strides[::-1], size


def _union(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]))


def _ranges(plan, init, indexes):
    """Per stratum relation and column: the (lo, hi) of every value it can ever hold, or
    None for a column that stays empty. Values only come from stored columns and literals,
    so propagating intervals through the inserts reaches a fixpoint."""
    from nsl.compiler.jit.fixpoint_spec import Emit
    rng = []
    for run in init:
        if run.n == 0 or not run.cols:
            rng.append([None] * len(run.cols))
        else:
            mm = torch.stack([torch.stack(torch.aminmax(c)) for c in run.cols]).tolist()
            rng.append([tuple(x) for x in mm])
    idx_rng = []
    for off, payload, *_ in indexes:
        idx_rng.append([tuple(torch.stack(torch.aminmax(c)).tolist()) if c.numel() else None
                        for c in payload])
    changed = True
    while changed:
        changed = False
        for ops, sources in zip(plan.kernel.rules, plan.sources):
            for op in ops:
                if not isinstance(op, Emit):
                    continue
                for c, (kind, i) in enumerate(op.args):
                    if kind == "lit":
                        iv = (plan.lits[i], plan.lits[i])
                    else:
                        src = sources[i]
                        iv = rng[src[1]][src[2]] if src[0] == "rel" else idx_rng[src[1]][src[2]]
                    new = _union(rng[op.rel][c], iv)
                    if new != rng[op.rel][c]:
                        rng[op.rel][c], changed = new, True
    return rng


def _packing(rng, nbitmaps=1):
    """``(lows, highs, strides, nbits)`` of a relation's bitmap, or None if its
    ``nbitmaps`` bitmaps (the snapshot too, if it has one) are too big."""
    lows = [0 if iv is None else iv[0] for iv in rng]
    highs = [0 if iv is None else iv[1] for iv in rng]
    strides, size = _strides(lows, highs)
    if size * nbitmaps > BITS_LIMIT:
        return None
    return lows, highs, strides, size
