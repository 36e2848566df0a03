"""The native fixpoint kernels in the JIT kernel registry (``nsl.compiler.jit.registry``).

One variant per recursive stratum the runtime would run natively
(``fixpoint_plan.plan_stratum`` accepts it and the provenance's ``one`` absorbs):
the kernel ``compile_fixpoint`` would build for it. The reference is the torch
semi-naive loop of the executor (``native_fixpoint.ENABLED = False``); the
compiled kernel runs through ``native_fixpoint.run_native`` with the library
under test, so both see the same random rows and must derive the same sets.

This family lives in the runtime (its reference and driver do), so the
compiler's ``registry.PROVIDERS`` cannot list it; the facade imports this module
(``nsl.commands``), which registers it.
"""
from __future__ import annotations

from dataclasses import replace

from nsl.compiler import ir
from nsl.compiler.jit.registry import KernelSpec, Variant, register

MAX_ROWS = 14        # rows per random input relation
VALUES = 7           # int columns draw from 0..VALUES-1 and the rules' literals
ENTRIES = ("nsl_fixpoint", "nsl_bits_to_keys")

# Representative shapes checked when a program has no recursive stratum of its own.
DEFAULT_PROGRAMS = {
    "tc": """
input edge(a: int, b: int).
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
""",
    "same_generation": """
input up(a: int, b: int).
input flat(a: int, b: int).
input down(a: int, b: int).
sg(x, y) :- flat(x, y).
sg(x, y) :- up(x, a), sg(a, b), down(b, y).
""",
}


def _plan(stratum, types):
    from .fixpoint_plan import plan_stratum
    from .interner import Interner

    return plan_stratum(stratum, types, Interner())


def program_needs(module: ir.Module) -> dict:
    """``{"fixpoint": [variant, ...]}`` for the strata of ``module`` the runtime runs
    natively (empty when none)."""
    from .errors import NotAvailable
    from .provenance import make_provenance

    try:
        if not make_provenance(module.provenance).one_is_absorbing:
            return {}  # tags carry information: the torch loop runs every stratum
    except NotAvailable:
        return {}      # this runtime cannot run the program at all
    variants = _module_variants(module, "")
    return {"fixpoint": variants} if variants else {}


def _module_variants(module: ir.Module, prefix: str) -> list[Variant]:
    types = {r.name: r.types for r in module.relations}
    out = []
    for stratum in module.strata:
        plan = _plan(stratum, types) if stratum.loop else None
        if plan is None:
            continue
        # The check module: the stratum's relations and what its loop reads, all supplied
        # as inputs (the stratum's rows so far included, so its init rules are not needed).
        names = sorted(set(plan.reads) | set(plan.rels))
        relations = tuple(replace(module.relation(n), kind="input", source=None) for n in names)
        check = ir.Module(relations, (), (replace(stratum, init=()),), tuple(plan.rels),
                          provenance=("bool", ()))
        out.append(Variant("fixpoint", (("stratum", prefix + "+".join(plan.rels)),
                                        ("module", check), ("kernel", plan.kernel)),
                           shown=("stratum",)))
    return out


def _default_variants() -> list[Variant]:
    from nsl.compiler.driver import compile_source

    out = []
    for name, text in DEFAULT_PROGRAMS.items():
        out.extend(_module_variants(compile_source(text, f"<{name}>").module, name + ":"))
    return out


def _variants(features: frozenset, shapes) -> list[Variant]:
    if shapes and all(isinstance(v, Variant) and v.family == "fixpoint" for v in shapes):
        return list(shapes)
    return _default_variants()  # None, or another family's shapes (e.g. dimensions)


def _lower(variant: Variant, header: str) -> str:
    from nsl.compiler.jit.fixpoint_ir import kernel_ir
    return header + kernel_ir(variant.get("kernel"))


def _literals(module: ir.Module) -> dict:
    """Type → the literal values the loop rules mention (random rows reuse them)."""
    out: dict = {}

    def visit(x):
        if isinstance(x, ir.Lit):
            out.setdefault(x.type, set()).add(x.value)
        elif isinstance(x, tuple):
            for y in x:
                visit(y)
        elif hasattr(x, "__dataclass_fields__"):
            for f in x.__dataclass_fields__:
                if f != "origin":
                    visit(getattr(x, f))

    visit(module.strata[0].loop)
    return out


def _random_inputs(variant: Variant, rng):
    """Random rows for every relation of the check module (small domains, so joins meet)."""
    module = variant.get("module")
    lits = _literals(module)
    pools = {"int": sorted(set(range(VALUES)) | {int(v) for v in lits.get("int", ())}),
             "str": sorted({f"s{n}" for n in range(VALUES)} | set(lits.get("str", ()))),
             "bool": [False, True]}
    inputs = {}
    for rel in module.relations:
        n = int(rng.integers(0, MAX_ROWS + 1))
        inputs[rel.name] = [tuple(pools[t][int(rng.integers(len(pools[t])))] for t in rel.types)
                            for _ in range(n)]
    return inputs


def _rows(ex, module):
    from .database import Database

    db = Database(ex.store, ex.interner, ex.prov, module)
    return {name: sorted(set(db.rows(name))) for name in module.outputs}


def _run(library, variant: Variant, inputs):
    """The stratum's loop, run by ``library``'s kernel through the runtime's driver."""
    import ctypes

    from . import native_fixpoint
    from .executor import Executor
    from .provenance import make_provenance

    module = variant.get("module")
    ex = Executor(module, make_provenance(module.provenance))
    ex.load(inputs)
    vp, i64 = ctypes.c_void_p, ctypes.c_int64
    kernels = (library.get_function("nsl_fixpoint", i64, vp, vp, vp),
               library.get_function("nsl_bits_to_keys", i64, vp, i64, vp))
    if not native_fixpoint.run_native(ex, module.strata[0], kernels=kernels):
        return "the native driver declined the stratum"
    return _rows(ex, module)


def _reference(variant: Variant, inputs):
    """The executor's torch semi-naive loop on the same rows."""
    from . import native_fixpoint
    from .executor import execute

    module = variant.get("module")
    saved, native_fixpoint.ENABLED = native_fixpoint.ENABLED, False
    try:
        db = execute(module, inputs=inputs)
    finally:
        native_fixpoint.ENABLED = saved
    return {name: sorted(set(db.rows(name))) for name in module.outputs}


def _compare(got, want) -> str | None:
    if isinstance(got, str) or isinstance(want, str):
        return got if isinstance(got, str) else want
    for name in want:
        g, w = set(got.get(name, ())), set(want[name])
        if g != w:
            extra, missing = sorted(g - w)[:3], sorted(w - g)[:3]
            return (f"{name}: {len(g)} rows, expected {len(w)}"
                    + (f"; extra {extra}" if extra else "") + (f"; missing {missing}" if missing else ""))
    return None


def _signature() -> str:
    from nsl.compiler.jit.fixpoint_kernels import SIGNATURE
    return SIGNATURE


FIXPOINT = register(KernelSpec(
    name="fixpoint", signature=_signature(), variants=_variants, lower=_lower,
    entries=lambda variant: ENTRIES, random_inputs=_random_inputs, run=_run,
    reference=_reference, compare=_compare))
