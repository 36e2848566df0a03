"""Self-validation of the JIT (``nslc compile --verify``): for every registered
kernel variant this CPU can run,

1. **translation validation of LLVM's optimiser**: every function of the
   unoptimised lowering must be refined by its optimised version —
   :func:`validate_optimisation` per function (a proof or counterexample inside
   the SMT subset; kernels with pointers, vectors and loops are outside it), and
   *whole-program differential testing*: the unoptimised and the optimised IR,
   each compiled as given, run on the same random inputs and must agree bit for
   bit;
2. **the compiled kernel against its reference implementation** on those inputs.

Each variant is checked in a forked child (:mod:`.isolation`) with a time limit,
so a miscompiled kernel that crashes or never returns fails its check instead
of taking nslc down; the child reports its phase as it goes, so the failure says
what was running. Results are data (:class:`KernelCheck`); ``line()`` is what
the CLI prints.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from nsl.compiler.jit import registry

DEFAULT_SAMPLES = 60
FUNCTION_TIMEOUT = 5.0      # seconds per function for the SMT/differential check
FUNCTION_SAMPLES = 20_000   # integer inputs per function when it is natively runnable
KERNEL_TIMEOUT = 60.0      # seconds per kernel variant, plus SAMPLE_TIMEOUT per sample
SAMPLE_TIMEOUT = 0.5
PROVED = ("equivalent", "refines")
FAILED = ("counterexample", "invalid-ir")


@dataclass(frozen=True)
class KernelCheck:
    """The self-check of one kernel variant."""
    kernel: str                                  # its label, e.g. knn_avx2[stride=128]
    functions: tuple = ()                        # (name, CheckIrResult) per function
    tested: int = 0                              # inputs run optimised vs unoptimised
    translation_error: str | None = None         # first difference, or why it could not run
    reference_tested: int = 0                    # inputs run compiled vs reference
    reference_error: str | None = None
    seconds: float = 0.0
    error: str | None = None                     # the check did not finish (crash, timeout)

    @property
    def ok(self) -> bool:
        return (self.error is None and self.translation_error is None
                and self.reference_error is None
                and not any(r.verdict in FAILED for _, r in self.functions))

    @property
    def reason(self) -> str | None:
        """The first reason this check failed, on one line (None when it passed)."""
        failures = self.failures()
        return failures[0] if failures else None

    @property
    def translation_verdict(self) -> str:
        """``equivalent``/``refines`` only when every function was proved, else
        ``counterexample`` or ``unknown`` (tested, not proved)."""
        verdicts = [r.verdict for _, r in self.functions]
        if self.translation_error is not None or any(v in FAILED for v in verdicts):
            return "counterexample"
        if verdicts and all(v in PROVED for v in verdicts):
            return "refines" if "refines" in verdicts else "equivalent"
        return "unknown"

    def line(self) -> str:
        """One line for the CLI (the reasons of a failure follow on indented lines)."""
        if self.error is not None:
            return f"kernel {self.kernel}: {self.error} [{self.seconds:.1f}s]"
        verdict = self.translation_verdict
        if verdict in PROVED:
            first = f"optimised {verdict} unoptimised (proved; tested on {self.tested} inputs)"
        elif verdict == "unknown":
            first = (f"optimised agrees with unoptimised on {self.tested} inputs "
                     f"(unknown: not proved{self._proved_note()})")
        else:
            first = "optimised does NOT refine unoptimised"
        if self.reference_error is None:
            second = f"matches reference on {self.reference_tested} random inputs"
        else:
            second = "does NOT match its reference"
        text = f"kernel {self.kernel}: {first}; {second} [{self.seconds:.1f}s]"
        return "\n".join([text] + [f"  {why}" for why in self.failures()])

    def failures(self) -> list[str]:
        """Every reason this check failed, one line each."""
        out = [self.error] if self.error else []
        out += [f"@{name}: {r.verdict}: {_summary(r)}" for name, r in self.functions
               if r.verdict in FAILED]
        if self.translation_error:
            out.append(f"optimised vs unoptimised: {self.translation_error}")
        if self.reference_error:
            out.append(f"compiled vs reference: {self.reference_error}")
        return out

    def _proved_note(self) -> str:
        proved = [n for n, r in self.functions if r.verdict in PROVED]
        return f"; proved for @{', @'.join(proved)}" if proved else ""


def _summary(result) -> str:
    cex = result.counterexample
    if cex is not None:
        return (f"inputs {list(cex.inputs)}: unoptimised {cex.reference}, "
                f"optimised {cex.candidate} ({cex.check})")
    return result.reason or ""


@dataclass
class _Libraries:
    production: object          # compiled as the runtime compiles it (optimised)
    unoptimised: object         # the lowering, compiled as given
    optimised: object           # the optimised IR, compiled as given
    unoptimised_ir: str = ""
    optimised_ir: str = ""
    errors: list = field(default_factory=list)


def kernels_for(needs: dict | None = None, features: frozenset | None = None) -> list:
    """``(spec, variant)`` pairs to check: every registered family (``needs`` None)
    or the families in ``needs`` (family → shapes, None for its default shapes)."""
    from nsl.compiler.jit.codegen import get_codegen

    features = get_codegen().enabled_features if features is None else features
    out = []
    for spec in registry.specs():
        if needs is None or spec.name in needs:
            shapes = None if needs is None else needs[spec.name]
            out.extend((spec, v) for v in spec.variants(features, shapes))
    return out


def check_kernel(spec, variant, samples: int = DEFAULT_SAMPLES, seed: int = 0,
                 optimised_ir: str | None = None, progress=None) -> KernelCheck:
    """Self-check one variant in this process. ``optimised_ir`` replaces LLVM's
    output (tests use it to show that a miscompiled kernel is caught);
    ``progress(phase)`` hears what is about to run."""
    import numpy as np

    report = progress or (lambda phase: None)
    started = time.monotonic()
    libs, functions = _build(spec, variant, optimised_ir, report)
    if libs.errors:
        return KernelCheck(variant.label, tuple(functions), translation_error="; ".join(libs.errors),
                           seconds=time.monotonic() - started)
    rng = np.random.default_rng(seed)
    tested = ref_tested = 0
    translation_error = reference_error = None
    for n in range(samples):
        where = f"on input {n} (seed {seed})"
        report(f"generating input {n} (seed {seed})")
        inputs = spec.random_inputs(variant, rng)
        report(f"running the optimised kernel {where}")
        optimised = spec.run(libs.optimised, variant, inputs)
        if translation_error is None:
            report(f"running the unoptimised kernel {where}")
            diff = spec.difference(optimised, spec.run(libs.unoptimised, variant, inputs))
            tested += 1
            if diff:
                translation_error = f"input {n} (seed {seed}): {diff}"
        if reference_error is None:
            if libs.production is libs.optimised:
                production = optimised
            else:
                report(f"running the production kernel {where}")
                production = spec.run(libs.production, variant, inputs)
            report(f"running the reference {where}")
            diff = spec.difference(production, spec.reference(variant, inputs))
            ref_tested += 1
            if diff:
                reference_error = f"input {n} (seed {seed}): {diff}"
        if translation_error and reference_error:
            break
    return KernelCheck(variant.label, tuple(functions), tested, translation_error, ref_tested,
                       reference_error, time.monotonic() - started)


def kernel_timeout(samples: int) -> float:
    """The time limit of one variant's check with ``samples`` random inputs."""
    return KERNEL_TIMEOUT + SAMPLE_TIMEOUT * samples


def check_kernel_isolated(spec, variant, samples: int = DEFAULT_SAMPLES, seed: int = 0,
                          timeout: float | None = None) -> KernelCheck:
    """:func:`check_kernel` in a forked child: a crash, an exception or running past
    ``timeout`` seconds (default :func:`kernel_timeout`) is a failed check naming
    the phase it happened in, e.g. ``crashed: SIGSEGV while running the optimised
    kernel on input 3 (seed 0)``."""
    from nsl.compiler.jit.isolation import run_isolated

    limit = kernel_timeout(samples) if timeout is None else timeout
    started = time.monotonic()
    outcome = run_isolated(lambda report: check_kernel(spec, variant, samples, seed,
                                                       progress=report), limit)
    if outcome.finished:
        return outcome.value
    return KernelCheck(variant.label, error=outcome.describe(), seconds=time.monotonic() - started)


def _build(spec, variant, optimised_ir, report):
    """Compile the three libraries and validate each function's optimisation."""
    from nsl.compiler.check_ir import validate_optimisation
    from nsl.compiler.jit.codegen import get_codegen

    cg = get_codegen()
    name = variant.label
    libs = _Libraries(None, None, None)
    report("compiling the kernel")
    try:
        libs.unoptimised_ir = spec.lower(variant, cg.ir_header())
        libs.production = cg.create_library(name, spec.signature).add_ir(libs.unoptimised_ir).finalize()
        libs.optimised_ir = (optimised_ir or libs.production.optimized_ir
                             or cg.optimise_ir(libs.unoptimised_ir))
        libs.unoptimised = cg.create_library(name + ".unopt", spec.signature, optimise=False)
        libs.unoptimised.add_ir(libs.unoptimised_ir).finalize()
        if libs.optimised_ir == libs.production.optimized_ir:
            libs.optimised = libs.production  # the same IR: the same machine code
        else:
            libs.optimised = cg.create_library(name + ".opt", spec.signature, optimise=False)
            libs.optimised.add_ir(libs.optimised_ir).finalize()
    except (RuntimeError, ValueError) as exc:  # llvmlite: IR that does not parse or verify
        libs.errors.append(f"could not compile: {str(exc).strip().splitlines()[0]}")
        return libs, []
    functions = []
    for fn in _functions_to_validate(libs.unoptimised_ir, libs.optimised_ir, spec.entries(variant)):
        report(f"validating the optimisation of @{fn}")
        result = validate_optimisation(libs.unoptimised_ir, libs.optimised_ir, fn,
                                       timeout=FUNCTION_TIMEOUT, samples=FUNCTION_SAMPLES)
        functions.append((fn, result))
    return libs, functions


def _functions_to_validate(unoptimised_ir: str, optimised_ir: str, entries) -> list[str]:
    """The entries (which must survive), then the other functions the lowering
    defines where the optimiser kept them (helpers may be inlined away)."""
    kept = set(_defined(optimised_ir))
    return list(entries) + [f for f in _defined(unoptimised_ir) if f not in entries and f in kept]


def _defined(ir_text: str) -> list[str]:
    import re
    return re.findall(r"^define\b[^@]*@([\w.$]+)\(", ir_text, re.M)


def run_self_check(needs: dict | None = None, samples: int = DEFAULT_SAMPLES, seed: int = 0,
                   on_result=None, timeout: float | None = None) -> list[KernelCheck]:
    """Check every kernel of :func:`kernels_for`, each in its own child process
    (:func:`check_kernel_isolated`, ``timeout`` seconds at most); ``on_result``
    sees each result as soon as it is known (the CLI prints it)."""
    results = []
    for spec, variant in kernels_for(needs):
        result = check_kernel_isolated(spec, variant, samples=samples, seed=seed, timeout=timeout)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
