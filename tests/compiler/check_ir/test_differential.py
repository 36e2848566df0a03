"""The native differential stage: JIT loop, crashes as verdicts, re-execution."""
from __future__ import annotations

from pathlib import Path

from nsl.compiler.check_ir.api import check_ir, check_ir_text
from nsl.compiler.check_ir.differential import CRASH, Sides, reexecute, run_differential
from nsl.compiler.check_ir.inputs import boundary_values, exhaustive_plan, plan_inputs
from nsl.compiler.check_ir.jit_kernels import Signature

CORPUS = Path(__file__).parent / "corpus"


def pair(name):
    return (CORPUS / name).read_text()


def test_exhaustive_sweep_finds_the_single_differing_input():
    ref = "define i16 @f(i16 %x) {\n  %r = mul i16 %x, 3\n  ret i16 %r\n}"
    cand = ("define i16 @f(i16 %x) {\n  %c = icmp eq i16 %x, 4242\n  %m = mul i16 %x, 3\n"
            "  %r = select i1 %c, i16 0, i16 %m\n  ret i16 %r\n}")
    sides = Sides(ref, cand, "f", "f", Signature((16,), 16))
    run = run_differential(sides, exhaustive_plan((16,)), budget_s=60)
    assert run.complete and run.tested == 1 << 16
    assert [(d.inputs, d.reference, d.candidate) for d in run.differences] == [((4242,), 12726, 0)]


def test_candidate_crash_is_localised_and_becomes_a_ub_counterexample():
    text = pair("hoist_division.srctgt.ll")
    sides = Sides(text, text, "src", "tgt", Signature((32, 32), 32))
    run = run_differential(sides, plan_inputs((32, 32), 5000), budget_s=60)
    assert run.differences and run.differences[0].candidate == CRASH
    assert run.differences[0].inputs[1] == 0          # the divisor
    result = check_ir(str(CORPUS / "hoist_division.srctgt.ll"), samples=5000)
    assert result.verdict == "counterexample" and result.counterexample.check == "ub"
    assert result.counterexample.inputs[1] == 0


def test_reference_crash_is_ub_in_the_reference_and_skipped():
    # the reference divides by zero at x = 77 only; the candidate guards it
    ref = "define i8 @f(i8 %x) {\n  %d = xor i8 %x, 77\n  %r = udiv i8 100, %d\n  ret i8 %r\n}"
    cand = ("define i8 @f(i8 %x) {\n  %z = icmp eq i8 %x, 77\n  %d = xor i8 %x, 77\n"
            "  %s = select i1 %z, i8 1, i8 %d\n  %q = udiv i8 100, %s\n"
            "  %r = select i1 %z, i8 9, i8 %q\n  ret i8 %r\n}")
    sides = Sides(ref, cand, "f", "f", Signature((8,), 8))
    run = run_differential(sides, exhaustive_plan((8,)), budget_s=60)
    assert run.reference_crashes == [(77,)]
    assert run.complete and run.tested == 256 and not run.differences
    # the candidate is defined at x = 77, where the reference has UB
    assert check_ir_text(ref, cand, function="f").verdict == "refines"


def test_rare_input_bug_is_missed_by_testing_but_found_by_the_proof():
    text = pair("range_check_off_by_one.srctgt.ll")
    sides = Sides(text, text, "src", "tgt", Signature((64,), 1))
    run = run_differential(sides, plan_inputs((64,), 20000), budget_s=60)
    assert run.complete and run.tested == 20000 and not run.differences
    result = check_ir(str(CORPUS / "range_check_off_by_one.srctgt.ll"), samples=20000)
    assert result.verdict == "counterexample" and result.proved
    assert result.counterexample.inputs == (1000000007,)


def test_native_difference_where_the_reference_is_poison_is_not_a_counterexample():
    # natively the reference wraps for x > 27; LLVM says it is poison there,
    # so any candidate result is allowed
    ref = "define i8 @f(i8 %x) {\n  %r = add nsw i8 %x, 100\n  ret i8 %r\n}"
    cand = ("define i8 @f(i8 %x) {\n  %o = icmp sgt i8 %x, 27\n  %a = add i8 %x, 100\n"
            "  %r = select i1 %o, i8 0, i8 %a\n  ret i8 %r\n}")
    sides = Sides(ref, cand, "f", "f", Signature((8,), 8))
    native = run_differential(sides, exhaustive_plan((8,)), budget_s=60)
    assert native.differences and native.differences[0].inputs == (28,)
    result = check_ir_text(ref, cand, function="f")
    assert result.verdict == "refines", result.to_json()


def test_reexecution_reproduces_a_native_difference():
    text = pair("zext_as_sext.srctgt.ll")
    sides = Sides(text, text, "src", "tgt", Signature((8,), 32))
    again = reexecute(sides, (200,))
    assert again is not None and again.reference == 0xFFFFFFC8 and again.candidate == 200
    assert reexecute(sides, (5,)) is None


def test_samples_and_boundaries():
    assert {0, 1, 127, 128, 255, 254, 126, 129} <= set(boundary_values(8))
    plan = plan_inputs((64, 64), 1000)
    assert plan.mode == "vector" and plan.count == 1000
    assert plan_inputs((8, 8), 1 << 16).mode == "sweep"
    assert exhaustive_plan((16, 16)).count == 1 << 32
    assert exhaustive_plan((32, 1)) is None


def test_loop_kernel_and_void_functions_run_natively():
    text = pair("loop_sum_closed_form.srctgt.ll")
    sides = Sides(text, text, "src", "tgt", Signature((8,), 8))
    run = run_differential(sides, exhaustive_plan((8,)), budget_s=60)
    assert run.complete and not run.differences
    void = "define void @f(i32 %x) {\n  ret void\n}"
    result = check_ir_text(void, void, function="f", samples=100)
    assert result.verdict == "equivalent" and result.tested > 0
