"""Audit regressions: undef, timeouts, internal functions, crashes, dismissed
differences, diagnostics and the JSON fields of native counterexamples."""
from __future__ import annotations

import time

from nsl.compiler.check_ir import decide
from nsl.compiler.check_ir.api import check_ir, check_ir_text
from nsl.compiler.check_ir.deadline import hard_deadline
from nsl.compiler.check_ir.differential import Sides, run_differential
from nsl.compiler.check_ir.inputs import exhaustive_plan
from nsl.compiler.check_ir.jit_kernels import Signature
from nsl.compiler.check_ir.verdict import CheckIrResult

MEMORY_SRC = """define {link} i32 @src(i32 %x) {{
  %p = alloca i32
  store i32 %x, ptr %p
  %v = load i32, ptr %p
  ret i32 %v
}}
"""


def test_undef_in_the_reference_never_gives_a_native_counterexample():
    # natively the reference's undef is one value, which need not be 5
    text = "define i8 @src(i8 %x) {\n  ret i8 undef\n}\ndefine i8 @tgt(i8 %x) {\n  ret i8 5\n}\n"
    result = check_ir_text(text, samples=300, timeout=10)
    assert result.verdict == "refines" and result.proved


def test_undef_only_in_the_candidate_is_still_a_counterexample():
    text = "define i8 @src(i8 %x) {\n  ret i8 5\n}\ndefine i8 @tgt(i8 %x) {\n  ret i8 undef\n}\n"
    result = check_ir_text(text, samples=300, timeout=10)
    assert result.verdict == "counterexample" and result.proved
    assert result.counterexample.reference == 5 and result.counterexample.candidate != 5


def test_a_hanging_candidate_is_cut_at_the_timeout_and_reported_once():
    text = """define i32 @src(i32 noundef %x) {
  ret i32 %x
}
define i32 @tgt(i32 noundef %x) {
entry:
  br label %loop
loop:
  %c = icmp eq i32 %x, 0
  br i1 %c, label %loop, label %exit
exit:
  ret i32 %x
}
"""
    started = time.monotonic()
    with hard_deadline(3.0):
        result = check_ir_text(text, samples=300, timeout=3.0)
    assert time.monotonic() - started < 3.0 + 2.0
    assert result.verdict == "unknown"
    assert result.reason.count("time limit") == 1


def test_internal_functions_are_callable_in_whole_program_mode():
    tgt = ("define internal i32 @tgt(i32 %x) {\n  %c = icmp eq i32 %x, 7\n"
           "  %r = select i1 %c, i32 0, i32 %x\n  ret i32 %r\n}\n")
    result = check_ir_text(MEMORY_SRC.format(link="internal") + tgt, samples=300, timeout=20)
    assert result.verdict == "counterexample", result.reason
    assert result.counterexample.inputs == (7,) and result.counterexample.reference == 7
    assert not result.proved


def test_wrapper_symbols_do_not_clash_with_the_module_and_notes_are_not_repeated():
    text = ("define void @__nsl_map() {\n  ret void\n}\n" + MEMORY_SRC.format(link="")
            + "define i32 @tgt(i32 %x) {\n  ret i32 %x\n}\n")
    result = check_ir_text(text, samples=300, timeout=20)
    assert result.verdict == "unknown" and "worker failed" not in result.reason
    parts = result.reason.split("; ")
    assert len(parts) == len(set(parts))


def test_reference_crashes_are_skipped_and_testing_goes_on():
    # the reference divides by zero on every eighth input; the candidate is wrong at 201
    ref = "define i8 @f(i8 %x) {\n  %d = and i8 %x, 7\n  %r = udiv i8 %x, %d\n  ret i8 %r\n}"
    cand = ("define i8 @f(i8 %x) {\n  %d = and i8 %x, 7\n  %r = udiv i8 %x, %d\n"
            "  %c = icmp eq i8 %x, 201\n  %s = select i1 %c, i8 0, i8 %r\n  ret i8 %s\n}")
    sides = Sides(ref, cand, "f", "f", Signature((8,), 8))
    run = run_differential(sides, exhaustive_plan((8,)), budget_s=60)
    assert len(run.reference_crashes) == 32            # 0, 8, ..., 248
    assert [d.inputs for d in run.differences] == [(201,)]


def test_a_candidate_crash_reports_the_references_value():
    tgt = ("define i32 @tgt(i32 %x) {\n  %c = icmp eq i32 %x, 5\n  br i1 %c, label %bad, label %ok\n"
           "bad:\n  %v = load volatile i32, ptr null\n  ret i32 %v\nok:\n  ret i32 %x\n}\n")
    result = check_ir_text(MEMORY_SRC.format(link="") + tgt, samples=300, timeout=20)
    assert result.verdict == "counterexample"
    assert result.counterexample.to_json() == {"inputs": [5], "reference": 5,
                                               "candidate": "crash", "check": "ub"}


def test_dismissed_differences_do_not_end_the_sweep(monkeypatch):
    # @src is poison wherever the nsw add overflows (thousands of dismissed
    # differences) and the candidate is wrong at x = 12, y = 100 only
    text = """define i16 @src(i16 %x, i16 %y) {
  %a = add nsw i16 %x, %y
  ret i16 %a
}
define i16 @tgt(i16 %x, i16 %y) {
  %a = add i16 %x, %y
  %xw = sext i16 %x to i32
  %yw = sext i16 %y to i32
  %s = add i32 %xw, %yw
  %t = trunc i32 %s to i16
  %back = sext i16 %t to i32
  %o = icmp ne i32 %back, %s
  %z = select i1 %o, i16 0, i16 %a
  %c = icmp eq i16 %x, 12
  %e = icmp eq i16 %y, 100
  %ce = and i1 %c, %e
  %r = select i1 %ce, i16 9, i16 %z
  ret i16 %r
}
"""
    monkeypatch.setattr(decide.Decider, "smt", lambda self: CheckIrResult(
        "unknown", reason="solver: forced unknown"))
    result = check_ir_text(text, samples=300, timeout=60)
    assert result.verdict == "counterexample", result.reason
    assert result.counterexample.inputs == (12, 100)


def test_invalid_ir_reason_is_a_positioned_diagnostic(tmp_path):
    good = tmp_path / "ok_f.ll"
    good.write_text("define i32 @f(i32 %x) {\n  ret i32 %x\n}\n")
    bad = tmp_path / "bad_syntax.ll"
    bad.write_text("define i32 @f(i32 %x) {\n  %r = add i32 %x,\n  ret i32 %r\n}\n")
    result = check_ir(str(good), str(bad))
    assert result.verdict == "invalid-ir"
    assert result.reason == "bad_syntax.ll:3:3: error: expected value token"


def test_a_native_counterexample_on_loops_names_the_bound():
    text = """define i8 @src(i8 %n) {
entry:
  br label %loop
loop:
  %i = phi i8 [0, %entry], [%i1, %loop]
  %i1 = add i8 %i, 1
  %c = icmp ult i8 %i1, 3
  br i1 %c, label %loop, label %exit
exit:
  %r = add i8 %n, %i1
  ret i8 %r
}
define i8 @tgt(i8 %n) {
  %r = add i8 %n, 4
  ret i8 %r
}
"""
    result = check_ir_text(text, samples=300, timeout=20, unroll=8)
    assert result.verdict == "counterexample" and result.bound == 8
