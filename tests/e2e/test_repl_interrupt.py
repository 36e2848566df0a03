"""Ctrl-C during an input leaves the REPL session exactly as it was before the input."""
from __future__ import annotations

import pytest

from tests.helpers import repl_session


# ---- Ctrl-C during an input leaves the session as it was ---------------------------------

def test_an_interrupted_query_drops_the_statements_typed_with_it(monkeypatch):
    s = repl_session("c(0).")
    before = s.feed(":show")

    def interrupt(program):
        raise KeyboardInterrupt

    monkeypatch.setattr(s, "_run", interrupt)
    with pytest.raises(KeyboardInterrupt):
        s.feed("c(n) :- c(m), n = m + 1, n < 3000000. c(5)?")
    monkeypatch.undo()
    assert s.feed(":show") == before
    assert s.feed("c(x)?") == "// c: 1 fact\nc(0)."
    assert s.feed("d(1).") == "" and "// <repl:2>\nd(1)." in s.feed(":show")  # numbering goes on


def test_an_interrupted_reload_keeps_the_file_as_it_was(tmp_path, monkeypatch):
    program = tmp_path / "h.nsl"
    program.write_text("edge(1, 2).\n")
    s = repl_session(f":load {program}")
    program.write_text("edge(5, 6).\nquery edge(x, y).\n")
    monkeypatch.setattr(s, "_run", lambda program: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        s.feed(f":load {program}")
    monkeypatch.undo()
    assert s.feed("edge(x, y)?") == "// edge: 1 fact\nedge(1, 2)."
    assert s.feed(":show") == f"// {program}\nedge(1, 2)."
