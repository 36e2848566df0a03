"""Fact inputs are checked as the whole session would be, without re-checking every stored fact."""
from __future__ import annotations

import pytest

from tests.helpers import repl_session


# ---- fact inputs are checked without re-checking every stored fact -------------------------

def test_a_fact_input_does_not_recompile_the_session(monkeypatch):
    import nsl.compiler.lower as lower_module

    s = repl_session("rel e(a: int, b: int)", "p(x) :- e(x, _).")
    calls = []
    real = lower_module.lower
    monkeypatch.setattr(lower_module, "lower", lambda *a: calls.append(1) or real(*a))
    for i in range(5):
        assert s.feed(f"e({i}, {i + 1}).") == ""
    assert calls == []
    assert s.feed("p(x)?") == "// p: 5 facts\np(0).\np(1).\np(2).\np(3).\np(4)."
    assert len(calls) == 1


@pytest.mark.parametrize("fact", ['e("a", 5).', "e(1, 2, 3).", "e(1.5, 2).", "e(-2, 0).", "d(7).", "d(3).",
                                  "f(1).", 'e(1, 2). e("b", 2).', "e(9223372036854775808, 1)."])
def test_fact_inputs_are_checked_as_the_whole_file_would_be(fact):
    import nsl
    from nsl.lang.diagnostics import CompileError

    stored = ["e(1, 2).", "e(2, 3).", "e(-1, 4).", "type D = 0..3", "rel d(x: D)", "d(1).", "p(x) :- e(x, _)."]
    try:
        nsl.compile("\n".join(stored + [fact]))
        whole_file_ok = True
    except CompileError:
        whole_file_ok = False
    s = repl_session(*stored)
    out = s.feed(fact)
    assert (out == "") == whole_file_ok, out
    assert s.feed("e(x, 4)?") in ("// e: 1 fact\ne(-1, 4).", "// e: 1 fact\ne(-1.0, 4).")  # 1.5 makes it float
