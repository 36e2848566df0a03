"""Importing a standard module before the relation it uses exists says how to declare it."""
from __future__ import annotations

from nsl.repl_session import ReplSession


# ---- the declare-first hint for a standard module --------------------------------------

def test_importing_a_module_before_its_relation_exists_says_to_declare_it():
    s = ReplSession()
    out = s.feed("import std.graph")
    assert out.startswith("<std.graph>:5:12: error: unknown relation 'edge'")
    assert "declare it first: `rel edge(a: int, b: int)`" in out
    assert out.count("error:") == 1 and "7 more errors in <std.graph>" in out
    assert s.feed("rel edge(a: int, b: int)") == "" and s.feed("import std.graph") == ""
    assert s.feed("edge(1, 2). reachable(1, x)?") == "// reachable: 1 fact\nreachable(1, 2)."
