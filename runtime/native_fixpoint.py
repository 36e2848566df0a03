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
   request;
4. each relation's rows come back in key order straight from its bitmap (the
   packing is lexicographic), so the stored relation is one sorted run without
   a sort.

``run_native`` returns False, having changed nothing, whenever any condition
fails; the torch loop in ``executor`` is the reference and the fallback.
"""
from __future__ import annotations

import os

import torch

from .fixpoint_plan import plan_stratum
from .keys import KeyCodec

BITS_LIMIT = 1 << 31           # bitmap bits per relation, snapshot included (256 MiB)
INITIAL_CAP = 1 << 22          # rows per relation buffer before the kernel asks for more
ENABLED = True                 # tests switch it off to compare with the torch loop


def available() -> bool:
    if not ENABLED or os.environ.get("NSL_NATIVE_FIXPOINT", "1") == "0":
        return False
    from nsl.compiler.jit import llvm_available
    return llvm_available()


def run_native(ex, stratum, kernels=None) -> bool:
    """Run ``stratum``'s loop rules to fixpoint natively; False (nothing done) if unsupported.
    ``kernels``: ``(fixpoint, bits_to_keys)`` to call instead of ``compile_fixpoint``'s (the
    JIT self-check passes those of the library it is checking)."""
    if not ex.prov.one_is_absorbing or not available():
        return False
    types = {name: rel.types for name, rel in ex.store.items()}
    plan = plan_stratum(stratum, types, ex.interner)
    if plan is None:
        return False
    store = ex.store
    for name in set(plan.reads) | set(plan.rels):
        if any(run.tags is not None for run in store[name].runs):
            return False
    init = [store[r].consolidated() for r in plan.rels]
    indexes = [_index(store[s.rel].consolidated(), s) for s in plan.indexes]
    if any(x is None for x in indexes):
        return False
    from nsl.compiler.jit.fixpoint_spec import layout, snapshotted
    snap = snapshotted(plan.kernel)
    ranges = _ranges(plan, init, indexes)
    packs = [_packing(rng, 2 if r in snap else 1) for r, rng in enumerate(ranges)]
    if any(p is None for p in packs):
        return False
    from nsl.compiler.jit.fixpoint_kernels import compile_fixpoint
    fixpoint, bits_to_keys = kernels or compile_fixpoint(plan.kernel)
    lay = layout(plan.kernel)
    P = torch.zeros(max(lay["nP"], 1), dtype=torch.int64)
    A = torch.zeros(max(lay["nA"], 1), dtype=torch.int64)
    S = torch.zeros(lay["nS"], dtype=torch.int64)
    keep = []  # every tensor whose address the kernel holds

    def addr(key, t):
        keep.append(t)
        A[lay["A"][key]] = t.data_ptr()

    bufs, bitmaps = [], []
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
        bufs.append(cols)
        bitmaps.append(bits)
        addr(("rel", r, "bits"), bits)
        if r in snap:
            addr(("rel", r, "snap"), bits.clone())
        for c, buf in enumerate(cols):
            addr(("rel", r, "col", c), buf)
        for f, v in (("count", run.n), ("dstart", 0), ("dend", run.n), ("cap", cap)):
            S[lay["S"][("rel", r, f)]] = v
    for x, (off, payload, lows, highs, strides) in enumerate(indexes):
        for c, (lo, hi, st) in enumerate(zip(lows, highs, strides)):
            P[lay["P"][("idx", x, "lo", c)]] = lo
            P[lay["P"][("idx", x, "hi", c)]] = hi
            P[lay["P"][("idx", x, "stride", c)]] = st
        addr(("idx", x, "off"), off)
        for c, col in enumerate(payload):
            addr(("idx", x, "col", c), col)
    for j, value in enumerate(plan.lits):
        P[lay["P"][("lit", j)]] = value

    while True:
        code = fixpoint(P.data_ptr(), A.data_ptr(), S.data_ptr())
        if code == 0:
            break
        r = code - 1  # relation r's buffers are full: grow them and redo the iteration
        count = int(S[lay["S"][("rel", r, "count")]])
        cap = min(packs[r][3], 2 * count)
        grown = [torch.empty(cap, dtype=torch.int64) for _ in bufs[r]]
        for new, old in zip(grown, bufs[r]):
            new[:count] = old[:count]
        bufs[r] = grown
        for c, buf in enumerate(grown):
            addr(("rel", r, "col", c), buf)
        S[lay["S"][("rel", r, "cap")]] = cap
    ex.native_iterations = int(S[lay["S"]["iterations"]])

    for r, name in enumerate(plan.rels):
        lows, highs, strides, nbits = packs[r]
        count = int(S[lay["S"][("rel", r, "count")]])
        keys = torch.empty(count, dtype=torch.int64)
        bits = bitmaps[r]
        n = bits_to_keys(bits.data_ptr(), bits.shape[0], keys.data_ptr())
        if n != count:
            raise AssertionError(f"native fixpoint: {n} keys for {count} rows of {name}")
        cols = _unpack(keys, lows, highs, strides)
        if len(cols) > 1:
            codec = KeyCodec.for_ranges(lows, highs)  # its keys are the kernel's keys
        else:
            codec = KeyCodec("single" if cols else "empty")
            keys = cols[0] if cols else keys
        store[name].load_sorted(cols, keys, codec)
    return True


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
