"""REPL commands: `:load ~/x`, `:show` without queries, `:q` with an argument."""
from __future__ import annotations

from nsl.repl_session import ReplSession
from tests.helpers import repl_session


# ---- :load expands ~ -------------------------------------------------------------------------

def test_load_expands_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "g.nsl").write_text("g(1).\nquery g(x).\n")
    assert ReplSession().feed(":load ~/g.nsl") == "// g: 1 fact\ng(1)."


def test_load_of_a_path_with_a_nul_is_no_such_file():
    s = ReplSession()
    assert s.feed(":load a\0b.nsl") == "a\\0b.nsl: error: no such file (a path cannot hold a NUL character)"
    assert s.errors == 1


# ---- :show and :q ------------------------------------------------------------------------------

def test_show_leaves_out_queries_typed_with_statements():
    s = repl_session("c(0).")
    s.feed("c(1). query c(x). c(2). c(5)?")
    assert s.feed(":show") == "// <repl:1>\nc(0).\n// <repl:2>\nc(1).  c(2)."


def test_quit_with_an_argument_is_an_error():
    s = ReplSession()
    assert s.feed(":q now") == "error: :q takes no argument"
    assert not s.finished
