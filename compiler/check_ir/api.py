"""Public entry points of IR translation checks.

``check_ir`` compares two ``.ll`` files (or one ``.srctgt.ll`` file);
``check_ir_text`` does the same on IR text; ``validate_optimisation`` is the
self-check that ``nslc compile --verify`` runs on every JIT kernel (the
optimised LLVM must refine its unoptimised lowering).
"""
from __future__ import annotations

from nsl.lang.diagnostics import UsageError

from .decide import Decider, Options
from .instructions import lift_function
from .module_loader import (InvalidIR, is_srctgt, label_for, parse_module, read_ir_file,
                            select_pair)
from .verdict import CheckIrResult

DEFAULT_UNROLL = 8
DEFAULT_SAMPLES = 100_000
DEFAULT_TIMEOUT = 20.0
MODES = ("refine", "equiv")


def _options(mode, unroll, samples, timeout, native) -> Options:
    if mode not in MODES:
        raise UsageError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    if not isinstance(unroll, int) or unroll < 0:
        raise UsageError(f"--unroll must be a non-negative integer, not {unroll!r}")
    if not isinstance(samples, int) or samples < 0:
        raise UsageError(f"--samples must be a non-negative integer, not {samples!r}")
    if not timeout or timeout <= 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout!r}")
    return Options(mode, unroll, samples, float(timeout), native)


def check_ir(reference_path: str, candidate_path: str | None = None, function: str | None = None,
             mode: str = "refine", unroll: int = DEFAULT_UNROLL, samples: int = DEFAULT_SAMPLES,
             timeout: float = DEFAULT_TIMEOUT, native: bool = True) -> CheckIrResult:
    """Does the candidate behave like the reference?

    With ``candidate_path`` None (or the same path without ``function``), the
    one file must define ``@src`` (reference) and ``@tgt`` (candidate); the
    same path with ``function`` compares that function with itself. A missing
    file raises ``CompileError``; IR that does not parse or verify gives
    ``invalid-ir``.
    """
    options = _options(mode, unroll, samples, timeout, native)
    ref_text = read_ir_file(reference_path)
    if candidate_path is None or (candidate_path == reference_path and function is None):
        if candidate_path is None and not is_srctgt(reference_path, ref_text):
            raise UsageError("one file is checked only when it defines @src and @tgt; "
                             "give a candidate file")
        return _check(ref_text, None, function, options, label_for(reference_path), None)
    cand_text = ref_text if candidate_path == reference_path else read_ir_file(candidate_path)
    return _check(ref_text, cand_text, function, options, label_for(reference_path),
                  label_for(candidate_path))


def check_ir_text(reference_ir: str, candidate_ir: str | None = None, function: str | None = None,
                  mode: str = "refine", unroll: int = DEFAULT_UNROLL,
                  samples: int = DEFAULT_SAMPLES, timeout: float = DEFAULT_TIMEOUT,
                  native: bool = True) -> CheckIrResult:
    """:func:`check_ir` on IR text (``candidate_ir`` None: @src/@tgt in one module)."""
    options = _options(mode, unroll, samples, timeout, native)
    return _check(reference_ir, candidate_ir, function, options, "reference",
                  "candidate" if candidate_ir is not None else None)


def validate_optimisation(unoptimised_ir: str, optimised_ir: str, function: str,
                          timeout: float = DEFAULT_TIMEOUT,
                          samples: int = DEFAULT_SAMPLES) -> CheckIrResult:
    """Check that the optimised LLVM of a kernel refines its unoptimised lowering.

    Inside the SMT subset this is a proof (``refines``/``equivalent``) or a
    counterexample; outside it (memory, calls) the two are tested against each
    other natively and the answer is at best ``unknown`` with the number of
    inputs tested.
    """
    return check_ir_text(unoptimised_ir, optimised_ir, function, mode="refine",
                         timeout=timeout, samples=samples)


def _check(ref_text, cand_text, function, options, ref_label, cand_label) -> CheckIrResult:
    same_file = cand_text is None
    try:
        ref_module = parse_module(ref_text, ref_label)
        cand_module = ref_module if same_file else parse_module(cand_text, cand_label)
        pair = select_pair(ref_module, cand_module, function, same_file, ref_label,
                           cand_label or ref_label)
        ref = lift_function(pair.reference_module, pair.reference_name)
        cand = lift_function(pair.candidate_module, pair.candidate_name)
        _same_signature(ref, cand)
    except InvalidIR as exc:
        return CheckIrResult("invalid-ir", reason=str(exc))
    return Decider(ref, cand, ref_text, ref_text if same_file else cand_text, options).decide()


def _same_signature(ref, cand) -> None:
    ref_sig = (ref.ret_type_text, tuple(p.type_text for p in ref.params))
    cand_sig = (cand.ret_type_text, tuple(p.type_text for p in cand.params))
    if ref_sig != cand_sig:
        def show(sig):
            return f"{sig[0]} ({', '.join(sig[1])})"
        raise InvalidIR(f"signatures differ: @{ref.name} is {show(ref_sig)}, "
                        f"@{cand.name} is {show(cand_sig)}")
