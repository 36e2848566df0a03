"""The JIT self-check: every registered kernel passes on this CPU, and a
miscompiled kernel (an off-by-one injected into the optimised IR) is caught."""
import ctypes
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("llvmlite")

from nsl.compiler.jit import registry  # noqa: E402
from nsl.compiler.jit.codegen import get_codegen  # noqa: E402
from nsl.compiler.jit.self_check import check_kernel, kernels_for, run_self_check  # noqa: E402

SAMPLES = 25


def test_every_registered_kernel_passes_on_this_cpu():
    results = run_self_check(samples=SAMPLES)
    assert results, "no kernel registered"
    for result in results:
        assert result.ok, result.line()
        assert result.tested == SAMPLES and result.reference_tested == SAMPLES
        # knn kernels use memory, vectors and floats: tested, never proved
        assert result.translation_verdict in ("unknown", "refines", "equivalent")
        assert f"kernel {result.kernel}: " in result.line()


def test_registry_lists_the_knn_variants_this_cpu_supports():
    from nsl.compiler.jit.knn_isa import supported_isas

    labels = {v.label for s, v in kernels_for({"knn": [100]}) if s.name == "knn"}
    assert labels == {f"knn_{isa}[stride=128]" for isa in supported_isas(get_codegen().enabled_features)}


def _skip_first_row(ir_text: str, fn: str) -> str:
    """The optimised IR with an off-by-one: ``fn`` starts scanning at row r0 + 1."""
    head = re.search(rf"^define [^\n]*@{fn}\([^\n]*\{{\n", ir_text, re.M)
    line = head.group(0).replace("i64 %r0,", "i64 %r0.in,", 1)
    label = re.match(r"[\w.]+:[^\n]*\n", ir_text[head.end():])
    at = head.end() + (label.end() if label else 0)
    return (ir_text[:head.start()] + line + ir_text[head.end():at]
            + "  %r0 = add i64 %r0.in, 1\n" + ir_text[at:])


def _knn_variant():
    return next(v for s, v in kernels_for({"knn": [64]}) if v.get("isa") == "generic")


def test_miscompiled_knn_kernel_is_caught():
    spec, variant = registry.get("knn"), _knn_variant()
    cg = get_codegen()
    optimised = cg.optimise_ir(spec.lower(variant, cg.ir_header()))
    broken = _skip_first_row(optimised, "knn_scan_q4")
    assert broken != optimised
    result = check_kernel(spec, variant, samples=SAMPLES, optimised_ir=broken)
    assert not result.ok
    assert result.translation_verdict == "counterexample"
    assert "optimised vs unoptimised: input" in result.line()
    assert result.reference_error is None  # the production kernel itself is fine


def test_ir_that_does_not_verify_is_a_failure_not_a_crash():
    spec, variant = registry.get("knn"), _knn_variant()
    result = check_kernel(spec, variant, samples=2, optimised_ir="define i32 @f( {")
    assert not result.ok and "could not compile" in result.line()


# -- a scalar kernel inside the SMT subset: the optimisation is proved ------------------

CLAMP_IR = """
define i32 @clamp_byte(i32 %x) {
entry:
  %neg = icmp slt i32 %x, 0
  br i1 %neg, label %low, label %check_high
check_high:
  %big = icmp sgt i32 %x, LIMIT
  br i1 %big, label %high, label %done
low:
  br label %done
high:
  br label %done
done:
  %r = phi i32 [0, %low], [LIMIT, %high], [%x, %check_high]
  ret i32 %r
}
"""


def _clamp_spec(limit_in_ir=255):
    def run(library, variant, inputs):
        f = library.get_function("clamp_byte", ctypes.c_int32, ctypes.c_int32)
        return np.array([f(int(x)) for x in inputs], np.int32)

    return registry.KernelSpec(
        name="test_clamp", signature="i32(i32)",
        variants=lambda features, shapes: [registry.Variant("test_clamp", (("limit", 255),))],
        lower=lambda variant, header: header + CLAMP_IR.replace("LIMIT", str(limit_in_ir)),
        entries=lambda variant: ("clamp_byte",),
        random_inputs=lambda variant, rng: rng.integers(-1000, 1000, 64, dtype=np.int32),
        run=run,
        reference=lambda variant, inputs: np.clip(inputs, 0, 255).astype(np.int32))


@pytest.fixture
def clamp_family():
    spec = registry.register(_clamp_spec())
    yield spec
    registry.unregister(spec.name)


def test_scalar_kernel_optimisation_is_proved(clamp_family):
    [result] = run_self_check({"test_clamp": None}, samples=5)
    # refines, not equivalent: the lowering branches on x (UB if x is poison),
    # the optimised code selects (poison): UB may be refined, not the converse
    assert result.ok and result.translation_verdict == "refines", result.line()
    assert "optimised refines unoptimised (proved" in result.line()


def test_scalar_off_by_one_is_a_proved_counterexample(clamp_family):
    [(spec, variant)] = kernels_for({"test_clamp": None})
    cg = get_codegen()
    optimised = cg.optimise_ir(spec.lower(variant, cg.ir_header()))
    broken = optimised.replace("255", "256")
    assert broken != optimised
    result = check_kernel(spec, variant, samples=5, optimised_ir=broken)
    [(name, verdict)] = result.functions
    assert verdict.verdict == "counterexample" and verdict.proved
    assert verdict.counterexample.inputs == (256,)
    assert not result.ok and "@clamp_byte: counterexample" in result.line()


def test_wrong_reference_is_caught():
    spec = registry.register(_clamp_spec(limit_in_ir=254))
    try:
        [result] = run_self_check({"test_clamp": None}, samples=20)
    finally:
        registry.unregister(spec.name)
    assert result.translation_error is None and result.reference_error is not None
    assert "does NOT match its reference" in result.line()


# -- every family against its reference on random shapes (hypothesis) -----------------

@pytest.mark.parametrize("family", [s.name for s in registry.specs()])
@given(seed=st.integers(0, 2**32 - 1), shape=st.integers(1, 200))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_family_matches_reference_on_random_shapes(family, seed, shape):
    spec = registry.get(family)
    cg = get_codegen()
    variants = spec.variants(cg.enabled_features, [shape])
    rng = np.random.default_rng(seed)
    variant = variants[int(rng.integers(len(variants)))]
    library = cg.create_library(variant.label, spec.signature)
    library.add_ir(spec.lower(variant, cg.ir_header())).finalize()
    inputs = spec.random_inputs(variant, rng)
    assert spec.difference(spec.run(library, variant, inputs), spec.reference(variant, inputs)) is None
