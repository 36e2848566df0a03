"""Shared test helpers: tests read like specifications (Scallop's style)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nsl
from nsl.lang.diagnostics import CompileError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_program(source: str, facts=None, queries=()):
    return nsl.compile(source).run(facts=facts, queries=queries)


def expect_result(source: str, expected: dict, facts=None) -> None:
    """Run ``source``; each named relation must hold exactly the given rows."""
    result = run_program(source, facts=facts, queries=tuple(expected))
    for rel, rows in expected.items():
        assert result.rows(rel) == sorted(rows), f"{rel}: {result.rows(rel)} != {sorted(rows)}"


def expect_error(source: str, *fragments: str) -> str:
    """Compiling ``source`` must fail; the rendered diagnostics contain every fragment."""
    try:
        nsl.compile(source)
    except CompileError as exc:
        text = exc.render()
        for fragment in fragments:
            assert fragment in text, f"{fragment!r} not in:\n{text}"
        return text
    raise AssertionError("expected a compile error")


def nslc(*args: str, input: str | None = None, cwd: str | None = None, timeout: float = 120):
    """Run the CLI as a user would (a subprocess); returns CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "nsl", *args], input=input, capture_output=True,
                          text=True, cwd=cwd, timeout=timeout)


def assert_fails_as_golden(command: str, golden_dir, name: str, *options: str) -> None:
    """``nslc COMMAND [OPTIONS] NAME.nsl`` run in ``golden_dir`` must exit 1 with exactly
    ``NAME.err`` on stderr (``NSL_REGOLD=1`` rewrites the file instead)."""
    proc = nslc(command, *options, f"{name}.nsl", cwd=str(golden_dir))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    golden = Path(golden_dir) / f"{name}.err"
    if os.environ.get("NSL_REGOLD"):
        golden.write_text(proc.stderr)
    assert proc.stderr == golden.read_text()


def repl_session(*inputs: str):
    """A REPL session that has accepted ``inputs``, each silently (no output, no error)."""
    from nsl.repl_session import ReplSession

    s = ReplSession()
    for text in inputs:
        assert s.feed(text) == "", f"{text!r} was not accepted silently"
    return s
