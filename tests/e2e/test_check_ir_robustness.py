"""``nslc check-ir`` and the ``check_ir`` statement: time limit, diagnostics, failures."""
from __future__ import annotations

import json
import subprocess
import sys
import time


def nslc(*args, cwd=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "nsl", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd)


def test_lifting_a_huge_function_respects_the_timeout(tmp_path):
    body = "\n".join(f"  %v{i + 1} = add i64 %v{i}, 1" for i in range(20000))
    text = "".join(f"define i64 @{name}(i64 %v0) {{\n{body}\n  ret i64 %v20000\n}}\n"
                   for name in ("src", "tgt"))
    pair = tmp_path / "huge.srctgt.ll"
    pair.write_text(text)
    started = time.monotonic()
    proc = nslc("check-ir", pair, "--json", "--timeout", "2", "--samples", "300")
    elapsed = time.monotonic() - started
    out = json.loads(proc.stdout)
    assert elapsed < 2 + 3, elapsed          # the limit, the grace, and starting Python
    assert out["verdict"] == "unknown" and "time limit" in out["reason"]
    assert "Traceback" not in proc.stderr


def test_invalid_ir_prints_file_line_col_with_the_source_line_and_a_caret(tmp_path):
    (tmp_path / "ok_f.ll").write_text("define i32 @f(i32 %x) {\n  ret i32 %x\n}\n")
    (tmp_path / "bad_syntax.ll").write_text(
        "define i32 @f(i32 %x) {\n  %r = add i32 %x,\n  ret i32 %r\n}\n")
    proc = nslc("check-ir", "ok_f.ll", "bad_syntax.ll", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == ["bad_syntax.ll:3:3: error: expected value token",
                                        "  ret i32 %r", "  ^"]


def _files(tmp_path):
    (tmp_path / "ok_f.ll").write_text("define i32 @f(i32 %x) {\n  ret i32 %x\n}\n")
    (tmp_path / "bad_g.ll").write_text(
        "define i32 @f(i32 %x) {\n  %r = add i32 %x, 1\n  ret i32 %r\n}\n")


def test_a_counterexample_is_a_result_of_the_program_not_an_error(tmp_path):
    _files(tmp_path)
    (tmp_path / "p.nsl").write_text(
        'edge(1, 2).\ncheck_ir bad { reference: "ok_f.ll", candidate: "bad_g.ll" }\n')
    proc = nslc("run", "p.nsl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "// check_ir bad: counterexample" in proc.stdout and proc.stderr == ""


def test_directory_and_missing_files_are_reported_at_the_statement(tmp_path):
    _files(tmp_path)
    (tmp_path / "d.nsl").write_text('check_ir a { reference: ".", candidate: "ok_f.ll" }\n')
    (tmp_path / "m.nsl").write_text('check_ir a { reference: "ok_f.ll", candidate: "nope.ll" }\n')
    run_dir = nslc("run", "d.nsl", cwd=tmp_path)
    assert run_dir.returncode == 1 and run_dir.stderr.startswith("d.nsl:1:25: error: is a directory")
    check_missing = nslc("check", "m.nsl", cwd=tmp_path)
    assert check_missing.returncode == 1
    assert check_missing.stderr.startswith("m.nsl:1:47: error: no such file")
