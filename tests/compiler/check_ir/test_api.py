"""Library API: pair selection, invalid IR, errors, the JSON contract, lifting."""
from __future__ import annotations

import pytest

from nsl.compiler.check_ir.api import check_ir, check_ir_text, validate_optimisation
from nsl.compiler.check_ir.instructions import lift_function
from nsl.compiler.check_ir.module_loader import parse_module
from nsl.compiler.check_ir.optimise import optimise_ir
from nsl.lang.diagnostics import CompileError, UsageError

INC = "define i32 @inc(i32 %x) {\n  %r = add i32 %x, 1\n  ret i32 %r\n}\n"
INC2 = "define i32 @inc(i32 %x) {\n  %r = sub i32 %x, -1\n  ret i32 %r\n}\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_json_has_exactly_the_contract_keys():
    out = check_ir_text(INC, INC2, native=False).to_json()
    assert set(out) == {"verdict", "counterexample", "bound", "tested", "proved", "reason"}
    assert out == {"verdict": "equivalent", "counterexample": None, "bound": None,
                   "tested": 0, "proved": True, "reason": None}
    bad = check_ir_text(INC, INC.replace("1\n", "2\n"), native=False).to_json()
    assert set(bad["counterexample"]) == {"inputs", "reference", "candidate", "check"}
    x = bad["counterexample"]["inputs"][0]
    assert bad["counterexample"]["reference"] == (x + 1) % 2**32
    assert bad["counterexample"]["candidate"] == (x + 2) % 2**32


def test_function_is_chosen_by_name_when_modules_define_several(tmp_path):
    extra = "define i32 @other(i32 %x) {\n  ret i32 0\n}\n"
    ref = write(tmp_path, "ref.ll", INC + extra)
    cand = write(tmp_path, "cand.ll", extra + INC2)
    result = check_ir(ref, cand, native=False)
    assert result.verdict == "invalid-ir" and "--function" in result.reason
    assert check_ir(ref, cand, function="inc", native=False).verdict == "equivalent"
    missing = check_ir(ref, cand, function="nope", native=False)
    assert missing.verdict == "invalid-ir" and "@nope" in missing.reason


def test_invalid_ir_and_signature_mismatch():
    assert check_ir_text("define i32 @f(", INC).verdict == "invalid-ir"
    wide = "define i64 @inc(i64 %x) {\n  ret i64 %x\n}\n"
    result = check_ir_text(INC, wide)
    assert result.verdict == "invalid-ir" and "signatures differ" in result.reason
    nonsense = check_ir_text("this is not IR at all \x00\xff", INC)
    assert nonsense.verdict == "invalid-ir"


def test_missing_file_is_a_compile_error_naming_the_path(tmp_path):
    ref = write(tmp_path, "ref.ll", INC)
    with pytest.raises(CompileError) as info:
        check_ir(ref, str(tmp_path / "absent.ll"))
    assert info.value.render() == f"{tmp_path / 'absent.ll'}: error: no such file"


def test_usage_errors(tmp_path):
    ref = write(tmp_path, "ref.ll", INC)
    with pytest.raises(UsageError):
        check_ir(ref, ref + "x", mode="sideways")
    with pytest.raises(UsageError):
        check_ir(ref)  # one file that lacks @src/@tgt
    with pytest.raises(UsageError):
        check_ir_text(INC, INC2, timeout=0)


def test_srctgt_file_without_both_functions_is_invalid(tmp_path):
    path = write(tmp_path, "x.srctgt.ll", INC.replace("@inc", "@src"))
    result = check_ir(path, native=False)
    assert result.verdict == "invalid-ir" and "@src and @tgt" in result.reason


def test_equiv_mode_rejects_a_mere_refinement():
    ref = "define i8 @f(i8 %x) {\n  %r = add nsw i8 %x, 1\n  ret i8 %r\n}\n"
    cand = "define i8 @f(i8 %x) {\n  %r = add i8 %x, 1\n  ret i8 %r\n}\n"
    assert check_ir_text(ref, cand, native=False).verdict == "refines"
    strict = check_ir_text(ref, cand, mode="equiv", native=False)
    assert strict.verdict == "counterexample" and strict.proved
    assert strict.counterexample.inputs == (127,)
    assert strict.counterexample.reference == "poison" and strict.counterexample.candidate == 128


def test_undef_in_the_reference_may_be_chosen_to_match():
    # or x, undef may be x (undef = 0), so returning x refines it; not conversely
    ref = "define i8 @f(i8 %x) {\n  %r = or i8 %x, undef\n  ret i8 %r\n}\n"
    cand = "define i8 @f(i8 %x) {\n  ret i8 %x\n}\n"
    result = check_ir_text(ref, cand, native=False)
    assert result.verdict == "refines" and result.proved


def test_solver_timeout_is_unknown_with_a_reason():
    ref = "define i32 @f(i32 %x) {\n  %r = udiv i32 %x, 3\n  ret i32 %r\n}\n"
    cand = ("define i32 @f(i32 %x) {\n  %e = zext i32 %x to i64\n  %m = mul i64 %e, 2863311531\n"
            "  %s = lshr i64 %m, 33\n  %t = trunc i64 %s to i32\n  ret i32 %t\n}\n")
    result = check_ir_text(ref, cand, timeout=0.5, native=False)
    assert result.verdict == "unknown" and not result.proved and "solver" in result.reason


def test_lifting_reads_predicates_flags_cases_and_branch_order():
    text = """define i8 @f(i8 noundef range(i8 0, 10) %x, i1 %c) {
entry:
  %a = add nuw nsw i8 %x, 1
  %b = icmp samesign ult i8 %a, 7
  br i1 %b, label %yes, label %no
yes:
  switch i8 %x, label %no [ i8 1, label %no
                            i8 -2, label %two ]
two:
  ret i8 2
no:
  %t = trunc nuw i8 %x to i4
  %z = zext nneg i4 %t to i8
  ret i8 %z
}"""
    fn = lift_function(parse_module(text, "t"), "f")
    entry, yes = fn.blocks[0], fn.blocks[1]
    assert fn.params[0].noundef and (fn.params[0].range.lo, fn.params[0].range.hi) == (0, 10)
    assert entry.insts[0].flags == {"nuw", "nsw"}
    assert entry.insts[1].predicate == "ult" and entry.insts[1].flags == {"samesign"}
    br = entry.insts[2]
    assert br.blocks == (yes.key, fn.blocks[3].key)          # (true, false)
    assert yes.insts[0].cases == (1, 254)
    assert fn.blocks[3].insts[0].flags == {"nuw"} and fn.blocks[3].insts[1].flags == {"nneg"}
    assert fn.in_subset


def test_validate_optimisation_proves_the_optimiser_and_catches_a_wrong_one():
    kernel = """define i32 @k(i32 noundef %x, i32 noundef %y) {
  %a = mul i32 %x, 4
  %b = add i32 %a, %y
  %c = icmp ult i32 %b, 100
  %r = select i1 %c, i32 %b, i32 100
  ret i32 %r
}"""
    result = validate_optimisation(kernel, optimise_ir(kernel), "k", samples=1000)
    assert result.verdict in ("equivalent", "refines") and result.proved
    broken = optimise_ir(kernel).replace("100", "101")
    assert validate_optimisation(kernel, broken, "k", samples=1000).verdict == "counterexample"


def test_validate_optimisation_outside_the_subset_is_at_best_unknown():
    kernel = """define i32 @k(i32 %x) {
  %p = alloca i32
  store i32 %x, ptr %p
  %v = load i32, ptr %p
  %r = mul i32 %v, 3
  ret i32 %r
}"""
    result = validate_optimisation(kernel, optimise_ir(kernel), "k", samples=1000, timeout=3)
    assert result.verdict == "unknown" and not result.proved and result.tested >= 1000
    assert "outside the SMT subset" in result.reason
