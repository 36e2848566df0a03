"""`:load` of a file already loaded replaces its statements, in place."""
from __future__ import annotations

from nsl.repl_session import ReplSession
from tests.helpers import repl_session


# ---- :load of a loaded file reloads it -----------------------------------------------------

def test_loading_a_file_with_declarations_again_replaces_it(tmp_path):
    program = tmp_path / "ty.nsl"
    program.write_text("type D = 0..3\ninput v(x: D)\nrel r(a: int)\n")
    s = repl_session(f":load {program}", f":load {program}")
    assert s.errors == 0 and s.feed(":rels") == "r/1 (int)\nv/1 (int)"
    assert s.feed(":show").count("type D") == 1


def test_a_reload_warns_once(tmp_path):
    program = tmp_path / "w.nsl"
    program.write_text("edge(1,2).\np(a) :- edge(a,b).\n")
    s = ReplSession()
    first = s.feed(f":load {program}")
    assert first.count("warning") == 1
    assert s.feed(f":load {program}") == first


def test_a_reload_reads_the_edited_file_and_points_at_its_text(tmp_path):
    program = tmp_path / "h.nsl"
    program.write_text("edge(1,2).\npath(a,b) :- edge(a,b).\n")
    s = repl_session(f":load {program}")
    program.write_text("// changed\n\nedge(5,6).\npath(a,b) :- edge(a,b).\n")
    assert s.feed(f":load {program}") == ""
    assert s.feed("path(x, y)?") == "// path: 1 fact\npath(5, 6)."  # the old facts are gone
    out = s.feed("path(x)?")
    assert f"{program}:4:1: note: first used here as path/2" in out
    assert "path(a,b) :- edge(a,b).\n^^^^" in out


def test_a_reload_keeps_its_place_for_the_inputs_typed_after_it(tmp_path):
    program = tmp_path / "g.nsl"
    program.write_text("rel edge(a: int, b: int)\nedge(1, 2).\n")
    s = repl_session(f":load {program}", "hop(x, y) :- edge(x, y).")
    program.write_text("rel edge(a: int, b: int)\nedge(3, 4).\n")
    assert s.feed(f":load {program}") == ""
    assert s.feed("hop(x, y)?") == "// hop: 1 fact\nhop(3, 4)."


def test_a_reload_that_fails_keeps_the_old_file_and_shows_the_new_text(tmp_path):
    program = tmp_path / "g.nsl"
    program.write_text("edge(1, 2).\n")
    s = repl_session(f":load {program}")
    program.write_text("// new\nedge(1, 2).\np(x) :- nope(x).\n")
    out = s.feed(f":load {program}")
    assert out.startswith(f"{program}:3:9: error: unknown relation 'nope'")
    assert "p(x) :- nope(x).\n        ^^^^^^^" in out
    assert s.feed("edge(x, y)?") == "// edge: 1 fact\nedge(1, 2)."
    # messages about the kept (old) file still show its old text
    out = s.feed("edge(x)?")
    assert f"{program}:1:1: note:" in out and "\nedge(1, 2).\n^" in out


def test_the_same_file_under_another_spelling_is_the_same_file(tmp_path, monkeypatch):
    (tmp_path / "g.nsl").write_text("rel r(a: int)\n")
    monkeypatch.chdir(tmp_path)
    s = repl_session(":load g.nsl", ":load ./g.nsl")
    assert s.feed(":rels") == "r/1 (int)"
