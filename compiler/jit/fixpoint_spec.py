"""The contract of the native semi-naive fixpoint kernel: its operations and data layout.

The kernel description (:class:`Kernel`) is plain data the runtime builds from a
recursive stratum; nothing here knows the IR of :mod:`nsl.compiler.ir`. Every
data-dependent number (column ranges, literals, capacities) is read from
arrays at run time, so the IR text — hence the compiled code, cached by its
hash — depends on the shape of the rules only.

Data, all int64 (see :func:`layout`):

* ``P`` (params, constant during a call): per stratum relation and column
  ``lo, hi, stride`` of its bitmap packing; per index and key column
  ``lo, hi, stride``; then the literals; then ``limit``, the iteration count at
  which the kernel stops (the caller's budget).
* ``A`` (addresses): per relation its bitmap (bit ``key`` set iff the row is
  stored: the dedup of inserts), then, for a relation some rule tests with
  :class:`Member`, its snapshot bitmap (the rows stored when the iteration
  began), then its column buffers (rows in insertion order); per index its
  offsets (``off[key] .. off[key+1]`` are the rows of that key) and payload
  columns (the atom's new variables, in key order).
* ``S`` (state, read and written back): per relation ``count, dstart, dend,
  cap`` — rows ``[dstart, dend)`` are the delta being read — then the number of
  iterations run.

``i64 nsl_fixpoint(ptr P, ptr A, ptr S)`` runs iterations until no delta is
left and returns 0; or returns ``r + 1`` when relation ``r``'s buffers are full:
the caller grows them and calls again, which redoes the interrupted iteration
(its rows so far are in the bitmap, so nothing is appended twice); or returns
-1 when an iteration that derived rows brought the count of iterations to
``limit``: the state is that of a finished iteration (its rows stored, the delta
they form ready), so a call with a higher ``limit`` goes on exactly where the
torch loop would. A call runs at least one iteration.
``i64 nsl_bits_to_keys(ptr bits, i64 nwords, ptr out)`` writes the set keys in
increasing order and returns their number.

Iterations are Jacobi, as in the torch loop: a rule reads the previous
iteration's delta and the relations as they were when the iteration began, so
a :class:`Member` test reads the snapshot bitmap, which takes the iteration's
new rows only at its end (a redone iteration reads the same snapshot); inserts
dedup against the bitmap, which has them at once, so a delta holds each row once.
"""
from __future__ import annotations

from dataclasses import dataclass

# An operand is ("var", i) — a variable of the rule — or ("lit", j) — literal j of ``P``.
Operand = tuple


@dataclass(frozen=True)
class Scan:
    """Loop over the delta of relation ``rel``: bind ``(col, var)``; require ``(col, operand)``."""
    rel: int
    binds: tuple
    checks: tuple = ()


@dataclass(frozen=True)
class Probe:
    """Rows of index ``index`` whose key equals ``keys``: bind ``(payload col, var)``. With
    ``anti``: continue only when there is none (``binds`` then empty)."""
    index: int
    keys: tuple
    binds: tuple
    anti: bool = False


@dataclass(frozen=True)
class Member:
    """Continue iff row ``args`` is (``anti``: is not) stored in stratum relation ``rel``
    at the start of the iteration (rows derived in it are seen by the next one)."""
    rel: int
    args: tuple
    anti: bool = False


@dataclass(frozen=True)
class Cmp:
    op: str  # eq ne lt le gt ge (signed)
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Emit:
    """Add row ``args`` to stratum relation ``rel`` unless it is stored already."""
    rel: int
    args: tuple


@dataclass(frozen=True)
class Kernel:
    rels: tuple      # arity of each stratum relation
    indexes: tuple   # (number of key columns, number of payload columns) of each index
    rules: tuple     # each a tuple of ops: Scan first, Emit last
    nlits: int


def snapshotted(k: Kernel) -> frozenset:
    """The stratum relations some rule tests with :class:`Member` (they keep a snapshot)."""
    return frozenset(op.rel for ops in k.rules for op in ops if isinstance(op, Member))


def layout(k: Kernel) -> dict:
    """Slots of ``P``, ``A`` and ``S``: ``{("rel", r, "lo", c): slot, ...}`` under keys
    "P", "A", "S", plus their sizes under "nP", "nA", "nS"."""
    p, a, s = {}, {}, {}
    snap = snapshotted(k)
    for r, arity in enumerate(k.rels):
        for c in range(arity):
            for f in ("lo", "hi", "stride"):
                p[("rel", r, f, c)] = len(p)
        a[("rel", r, "bits")] = len(a)
        if r in snap:
            a[("rel", r, "snap")] = len(a)
        for c in range(arity):
            a[("rel", r, "col", c)] = len(a)
        for f in ("count", "dstart", "dend", "cap"):
            s[("rel", r, f)] = len(s)
    for x, (nkeys, npay) in enumerate(k.indexes):
        for c in range(nkeys):
            for f in ("lo", "hi", "stride"):
                p[("idx", x, f, c)] = len(p)
        a[("idx", x, "off")] = len(a)
        for c in range(npay):
            a[("idx", x, "col", c)] = len(a)
    for j in range(k.nlits):
        p[("lit", j)] = len(p)
    p["limit"] = len(p)
    s["iterations"] = len(s)
    return {"P": p, "A": a, "S": s, "nP": len(p), "nA": len(a), "nS": len(s)}
