"""``nslc check-ir`` as a user runs it: a subprocess, exit codes, output."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).parents[1] / "compiler" / "check_ir" / "corpus"


def nslc(*args, timeout=120):
    proc = subprocess.run([sys.executable, "-m", "nsl", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_json_verdict_for_a_srctgt_file():
    proc = nslc("check-ir", CORPUS / "select_to_and.srctgt.ll", "--json", "--samples", "100")
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["verdict"] == "counterexample" and out["proved"] is True
    assert out["counterexample"] == {"inputs": [0, "poison"], "reference": 0,
                                     "candidate": "poison", "check": "poison"}


def test_two_files_with_function_and_human_output():
    proc = nslc("check-ir", CORPUS / "gimple_absdiff.ref.ll", CORPUS / "gimple_absdiff.cand.ll",
                "--function", "absdiff", "--samples", "500")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("refines (@absdiff vs @absdiff)")
    assert "tested on" in proc.stdout and "proved" in proc.stdout


def test_equiv_mode_and_unroll_flags():
    proc = nslc("check-ir", CORPUS / "drop_nsw.srctgt.ll", "--mode", "equiv", "--json",
                "--samples", "100")
    assert json.loads(proc.stdout)["verdict"] == "counterexample"
    proc = nslc("check-ir", CORPUS / "loop_unbounded.srctgt.ll", "--unroll", "2", "--json",
                "--samples", "100", "--timeout", "5")
    out = json.loads(proc.stdout)
    assert out["verdict"] == "unknown" and out["bound"] == 2 and "loop bound" in out["reason"]


def test_invalid_ir_is_a_verdict_not_a_crash():
    proc = nslc("check-ir", CORPUS / "syntax_error.srctgt.ll", "--json")
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["verdict"] == "invalid-ir" and "syntax_error.srctgt.ll" in out["reason"]


def test_missing_file_renders_path_error_and_exits_1(tmp_path):
    proc = nslc("check-ir", CORPUS / "drop_nsw.srctgt.ll", tmp_path / "nope.ll")
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"{tmp_path / 'nope.ll'}: error: no such file"


def test_usage_errors_exit_2(tmp_path):
    assert nslc("check-ir").returncode == 2
    assert nslc("check-ir", CORPUS / "drop_nsw.srctgt.ll", "--mode", "sideways").returncode == 2
    assert nslc("check-ir", CORPUS / "drop_nsw.srctgt.ll", "--timeout", "-1").returncode == 2
    proc = nslc("check-ir", CORPUS / "drop_nsw.srctgt.ll", "--timeout", "inf")  # was an OverflowError
    assert proc.returncode == 2 and "finite number of seconds" in proc.stderr, proc.stderr
    plain = tmp_path / "plain.ll"
    plain.write_text("define i8 @f(i8 %x) {\n  ret i8 %x\n}\n")
    proc = nslc("check-ir", plain)
    assert proc.returncode == 2 and "@src and @tgt" in proc.stderr


def test_garbage_input_never_shows_a_traceback(tmp_path):
    for i, junk in enumerate([b"\x00\xff\xfe", b"define", b"define i8 @src(i8 %x) { ret i8 %x }\n" * 2]):
        path = tmp_path / f"junk{i}.srctgt.ll"
        path.write_bytes(junk)
        proc = nslc("check-ir", path, "--json")
        assert proc.returncode in (1, 2)
        if proc.returncode == 1 and proc.stdout:
            assert json.loads(proc.stdout)["verdict"] == "invalid-ir"


def test_help_does_not_import_heavy_modules():
    code = ("import sys, nsl.cli\n"
            "try:\n    nsl.cli.main(['check-ir', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('llvmlite', 'z3', 'torch') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "--unroll" in proc.stdout and proc.stdout.strip().endswith("[]"), proc.stdout + proc.stderr
