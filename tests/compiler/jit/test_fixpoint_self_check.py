"""The native fixpoint kernels in the JIT self-check: every variant a program or
the defaults give passes, and a flipped comparison in the optimised IR is caught."""
import re

import pytest

pytest.importorskip("llvmlite")

from nsl.compiler.driver import compile_source  # noqa: E402
from nsl.compiler.jit.codegen import get_codegen  # noqa: E402
from nsl.compiler.jit.self_check import check_kernel, run_self_check  # noqa: E402
from nsl.runtime import fixpoint_registry  # noqa: E402  (registers the family)

SAMPLES = 15
FILTERED_TC = """
input edge(a: int, b: int).
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z), x < z.
"""


def needs_of(text):
    return fixpoint_registry.program_needs(compile_source(text, "<test>").module)


def test_every_default_fixpoint_variant_passes():
    results = run_self_check({"fixpoint": None}, samples=SAMPLES)
    assert [r.kernel for r in results] == ["fixpoint[stratum=tc:path]",
                                           "fixpoint[stratum=same_generation:sg]"]
    for result in results:
        assert result.ok, result.line()
        assert result.tested == SAMPLES and result.reference_tested == SAMPLES
        assert result.translation_verdict == "unknown"  # memory and loops: tested, not proved
        assert {name for name, _ in result.functions} >= set(fixpoint_registry.ENTRIES)


def test_program_variants_are_the_strata_the_runtime_runs_natively():
    assert needs_of("edge(1, 2).\npath(x, y) :- edge(x, y).\n") == {}
    [variant] = needs_of(FILTERED_TC)["fixpoint"]
    assert variant.label == "fixpoint[stratum=path]"
    [result] = run_self_check({"fixpoint": [variant]}, samples=SAMPLES)
    assert result.ok, result.line()
    # another provenance (tags carry information, or none this runtime has): no kernel
    assert needs_of("@provenance(topk_proofs, k = 5)\n" + FILTERED_TC) == {}


def test_flipped_comparison_in_optimised_ir_is_caught():
    [variant] = needs_of(FILTERED_TC)["fixpoint"]
    spec, cg = fixpoint_registry.FIXPOINT, get_codegen()
    optimised = cg.optimise_ir(spec.lower(variant, cg.ir_header()))
    broken, n = re.subn(r"(%c\d+ = icmp )slt( i64 %v\d+, %v\d+)", r"\1sgt\2", optimised)
    assert n == 1, "the filter x < z should be one comparison of two rule variables"
    result = check_kernel(spec, variant, samples=SAMPLES, optimised_ir=broken)
    assert not result.ok and result.translation_verdict == "counterexample"
    assert "optimised vs unoptimised: input" in result.line()
    assert result.reference_error is None  # the production kernel itself is fine
