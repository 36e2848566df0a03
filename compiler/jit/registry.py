"""Every JIT kernel family, described once so that it can be checked at build time.

A family (the knn scan, the Datalog fixpoint …) registers a :class:`KernelSpec`:
how to lower one variant to LLVM IR, which functions are its entry points, a
reference implementation, random inputs, and how to call a compiled library on
them. ``nslc compile --verify`` (:mod:`nsl.compiler.jit.self_check`) walks the
registry; nothing else needs to know which kernels exist.

Families live in provider modules listed in :data:`PROVIDERS` and register
themselves when imported; a new family adds its module there (the import is
lazy, so ``import nsl`` still costs nothing). A provider that cannot be
imported (e.g. one being written) is skipped, not fatal.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

# Modules whose import registers kernel families.
PROVIDERS = ("nsl.compiler.jit.knn_registry",)

_specs: dict[str, "KernelSpec"] = {}
_loaded = False


@dataclass(frozen=True)
class Variant:
    """One compiled shape of a family: ``params`` are the knobs of its IR."""
    family: str
    params: tuple[tuple[str, Any], ...]
    shown: tuple[str, ...] = ()   # which params go into the label (all if empty)

    def get(self, name: str):
        return dict(self.params)[name]

    @property
    def label(self) -> str:
        """``knn_avx2[d=128]``: family, a leading ``isa`` param, then the shape."""
        params = dict(self.params)
        head = self.family + (f"_{params.pop('isa')}" if "isa" in params else "")
        keys = [k for k in params if not self.shown or k in self.shown]
        return head + "[" + ",".join(f"{k}={params[k]}" for k in keys) + "]"


@dataclass(frozen=True)
class KernelSpec:
    """What the self-check needs to know about one kernel family.

    * ``variants(features, shapes)``: the variants this CPU (LLVM feature names)
      can run; ``shapes`` is what a program needs of the family (e.g. the
      dimensions of its indexes) or ``None`` for a small default set.
    * ``lower(variant, header)``: the unoptimised LLVM IR module (text, with
      ``header``'s target lines) exactly as the runtime would compile it.
    * ``entries(variant)``: the functions the runtime calls.
    * ``random_inputs(variant, rng)``: one random input (any object).
    * ``run(library, variant, inputs)``: call a finalized library on it.
    * ``reference(variant, inputs)``: what ``run`` must return.
    * ``compare(got, want)``: None when equal, else a short description
      (default: bit-identical numpy arrays, see :func:`compare_arrays`).
    """
    name: str
    signature: str
    variants: Callable[[frozenset, Any], list[Variant]]
    lower: Callable[[Variant, str], str]
    entries: Callable[[Variant], tuple[str, ...]]
    random_inputs: Callable[[Variant, Any], Any]
    run: Callable[[Any, Variant, Any], Any]
    reference: Callable[[Variant, Any], Any]
    compare: Callable[[Any, Any], str | None] = field(default=None)
    # Whether the runtime on a CPU with these features compiles this variant
    # (``--emit llvm`` prints only those); None: every variant.
    in_use: Callable[[Variant, frozenset], bool] | None = None

    def difference(self, got, want) -> str | None:
        return (self.compare or compare_arrays)(got, want)


def register(spec: KernelSpec) -> KernelSpec:
    """Add (or replace) a family; returns ``spec`` so it can be used as a value."""
    _specs[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a family (tests register throw-away ones)."""
    _specs.pop(name, None)


def specs() -> list[KernelSpec]:
    """Every registered family, providers imported on first use."""
    global _loaded
    if not _loaded:
        _loaded = True
        for module in PROVIDERS:
            try:
                importlib.import_module(module)
            except ImportError:
                pass  # a family whose dependencies are missing is not checked
    return list(_specs.values())


def get(name: str) -> KernelSpec:
    for spec in specs():
        if spec.name == name:
            return spec
    raise KeyError(f"no kernel family {name!r} (known: {', '.join(s.name for s in specs())})")


def program_needs(program) -> dict:
    """Family → shapes (None: unknown, use the defaults) of the kernels a checked
    program (its AST) will JIT; empty when it has none."""
    from nsl.lang import ast as A

    dims, unknown = [], False
    for stmt in program.statements:
        if isinstance(stmt, A.IndexDecl):
            dim = next((a.value for a in stmt.args if isinstance(a, A.KwArg) and a.name == "dim"), None)
            if isinstance(dim, A.Const) and isinstance(dim.value, int) \
                    and not isinstance(dim.value, bool) and dim.value > 0:
                dims.append(dim.value)
            else:  # the dimension comes from the data file at run time
                unknown = True
    if not dims and not unknown:
        return {}
    return {"knn": None if unknown else sorted(set(dims))}


def lowered_kernels(needs: dict, features: frozenset, header: str):
    """``(spec, variant, unoptimised IR)`` of every kernel the runtime would
    compile for ``needs`` on a CPU with ``features``."""
    for spec in specs():
        if spec.name in needs:
            for variant in spec.variants(features, needs[spec.name]):
                if spec.in_use is None or spec.in_use(variant, features):
                    yield spec, variant, spec.lower(variant, header)


def compare_arrays(got, want) -> str | None:
    """Tuples of numpy arrays, compared bit for bit (so -0.0 ≠ 0.0, NaN = NaN)."""
    import numpy as np

    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    if len(got) != len(want):
        return f"{len(got)} outputs, expected {len(want)}"
    for n, (g, w) in enumerate(zip(got, want)):
        g, w = np.ascontiguousarray(g), np.ascontiguousarray(w)
        if g.shape != w.shape or g.dtype != w.dtype:
            return f"output {n}: {g.dtype}{list(g.shape)}, expected {w.dtype}{list(w.shape)}"
        differ = np.flatnonzero(g.view(_uint_of(g)) != w.view(_uint_of(w)))
        if differ.size:
            at = np.unravel_index(differ[0], g.shape)
            return (f"output {n} differs at {tuple(int(i) for i in at)}: "
                    f"{g[at]!r}, expected {w[at]!r} ({differ.size} elements differ)")
    return None


def _uint_of(array):
    import numpy as np
    return {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[array.dtype.itemsize]
