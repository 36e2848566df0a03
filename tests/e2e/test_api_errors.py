"""Errors the library raises travel like ordinary exceptions, and options do what the docs say."""
from __future__ import annotations

import copy
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

import nsl
from tests.helpers import nslc

BAD = "edge(1,2).\npath(a,b) :- edg(a,b).\n"


def _compile_bad(_):
    nsl.compile(BAD)


def _raised() -> nsl.CompileError:
    with pytest.raises(nsl.CompileError) as info:
        nsl.compile(BAD)
    return info.value


def test_compile_error_pickles_and_copies():
    exc = _raised()
    for other in (pickle.loads(pickle.dumps(exc)), copy.copy(exc), copy.deepcopy(exc)):
        assert type(other) is nsl.CompileError
        assert other.diagnostics == exc.diagnostics and str(other) == str(exc)
        assert "<input>:2:14: error: unknown relation 'edg'" in other.render()


def test_compile_error_reaches_a_process_pool_caller():
    with ProcessPoolExecutor(max_workers=1) as pool:
        with pytest.raises(nsl.CompileError, match="unknown relation 'edg'"):
            pool.submit(_compile_bad, 0).result(timeout=120)


MINMAX = "@provenance(minmax)\ne(1).\nq(x) :- e(x).\n"


def test_run_provenance_overrides_the_files_pragma():
    program = nsl.compile(MINMAX)
    with pytest.raises(nsl.CompileError, match="provenance 'minmax' cannot run yet"):
        program.run()
    result = program.run(provenance="bool")
    assert result["q"] == [(1,)] and result.provenance == "bool"


def test_cli_provenance_overrides_the_files_pragma(tmp_path):
    (tmp_path / "mm.nsl").write_text(MINMAX)
    out = nslc("run", "--provenance", "bool", "mm.nsl", cwd=str(tmp_path))
    assert out.returncode == 0 and out.stdout == "// q: 1 fact\nq(1).\n", out.stderr
    out = nslc("run", "mm.nsl", cwd=str(tmp_path))
    assert out.returncode == 1 and "mm.nsl:1:1: error: provenance 'minmax' cannot run yet" in out.stderr
