"""The CLI never shows a traceback: random bytes, token soup and truncated programs (hypothesis)."""
from __future__ import annotations

import contextlib
import io
import pathlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsl.cli import main
from tests.helpers import REPO, nslc

TOKENS = ["edge", "path", "x", "y", "_", "1", "2.5", '"s"', "(", ")", ",", ".", ":-", "not", ";",
          "=", "<", "+", "++", "count", "sum", "argmax", ":", "::", "0.3", "query", "rel", "input",
          "int", "str", "type", "..", "{", "}", "forall", "->", "prove", "constraint", "@provenance",
          "import", "std.graph", "neural", "exists", "/*", "*/", "//", "\n", " "]

PROGRAMS = [p.read_text() for p in sorted((pathlib.Path(REPO) / "examples").glob("*/*.nsl"))]
PROGRAMS.append((pathlib.Path(REPO) / "tests" / "lang" / "golden" / "diagnostics" / "type_errors.nsl").read_text())


def run_cli(tmp_path, command: str, data: bytes) -> tuple[int, str]:
    path = tmp_path / "fuzz.nsl"
    path.write_bytes(data)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main([command, str(path)])
        except SystemExit as exc:  # argparse only; a program never exits this way
            code = exc.code
    return code, err.getvalue()


def assert_clean(code: int, stderr: str) -> None:
    assert code in (0, 1), stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    if code == 1:
        first = stderr.splitlines()[0]
        assert ": error: " in first, stderr


fuzz_settings = settings(max_examples=120, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@fuzz_settings
@given(st.binary(max_size=200))
def test_random_bytes(tmp_path, data):
    assert_clean(*run_cli(tmp_path, "check", data))


@fuzz_settings
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_token_soup(tmp_path, tokens):
    assert_clean(*run_cli(tmp_path, "check", " ".join(tokens).encode()))


@fuzz_settings
@given(st.sampled_from(PROGRAMS), st.data())
def test_truncated_programs_run(tmp_path, program, data):
    cut = data.draw(st.integers(0, len(program)))
    assert_clean(*run_cli(tmp_path, "run", program[:cut].encode()))


def test_subprocess_shows_no_traceback_on_garbage(tmp_path):
    (tmp_path / "g.nsl").write_bytes(b"\xff\xfe p(:- \x00")
    proc = nslc("run", "g.nsl", cwd=str(tmp_path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("g.nsl:1:1: error: not UTF-8 text: byte 0xff at offset 0")
