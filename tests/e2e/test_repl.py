"""The REPL: a session that grows statement by statement, and `nslc repl` fed through a pipe."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest

from nsl.repl import run_piped
from nsl.repl_lex import is_complete, tokenize
from nsl.repl_session import ReplSession
from tests.helpers import nslc, repl_session

GRAPH = """
e(1, 2). e(2, 3).
path(x, y) :- e(x, y).
path(x, z) :- path(x, y), e(y, z).
"""


# ---- statements and queries -------------------------------------------------------

def test_statements_accumulate_and_a_query_prints_matching_facts():
    s = repl_session("e(1, 2).", "e(2, 3).", "path(x, y) :- e(x, y).", "path(x, z) :- path(x, y), e(y, z).")
    assert s.feed("query path(1, x).") == "// path: 2 facts\npath(1, 2).\npath(1, 3)."
    assert s.feed("path(2, x)?") == "// path: 1 fact\npath(2, 3)."


def test_a_query_is_not_kept():
    s = repl_session(GRAPH)
    s.feed("path(1, x)?")
    assert s.feed("e(1, x)?") == "// e: 1 fact\ne(1, 2)."  # no path rows from the earlier query
    assert "?" not in s.feed(":show") and "query" not in s.feed(":show")


def test_statements_and_a_question_in_one_input():
    s = ReplSession()
    assert s.feed("n(1). n(2). big(x) :- n(x), x > 1. big(x)?") == "// big: 1 fact\nbig(2)."
    assert s.feed("n(x)?") == "// n: 2 facts\nn(1).\nn(2)."


def test_a_multi_line_question():
    s = repl_session(GRAPH)
    assert s.feed("path(\n  1,\n  x\n)?") == "// path: 2 facts\npath(1, 2).\npath(1, 3)."


def test_rules_see_facts_added_later():
    # a relation must be known when a rule uses it (as in a file): declare it first
    s = repl_session("rel e(a: int, b: int)", "reach(x) :- e(1, x).", "e(1, 5).")
    assert s.feed("reach(x)?") == "// reach: 1 fact\nreach(5)."


def test_run_prints_every_derived_relation():
    s = repl_session(GRAPH, "twice(x) :- path(x, _), path(_, x).")
    out = s.feed(":run")
    assert "path(1, 3)." in out and "twice(2)." in out


# ---- rejected input: shown inline, the session carries on ---------------------------

def test_a_check_error_is_shown_and_the_statement_is_not_added():
    s = repl_session(GRAPH)
    out = s.feed("bad(x) :- nope(x).")
    assert out.startswith("<repl>:1:11: error: unknown relation 'nope'")
    assert "bad(x) :- nope(x).\n          ^^^^^^^" in out
    assert "bad" not in s.feed(":rels")
    assert s.feed("path(1, x)?").endswith("path(1, 3).")
    assert s.errors == 1


def test_error_lines_count_from_the_input_just_typed():
    s = repl_session(GRAPH)
    out = s.feed("ok(x) :-\n  e(x, _),\n  missing(x).")
    assert out.startswith("<repl>:3:3: error: unknown relation 'missing'")


def test_a_syntax_error_leaves_the_session_as_it_was():
    s = repl_session("e(1, 2).")
    out = s.feed("e(3, 4) e(5, 6).")
    assert out.startswith("<repl>:1:9: error: unexpected 'e'")
    assert s.feed("e(x, y)?") == "// e: 1 fact\ne(1, 2)."


def test_a_rejected_input_is_rejected_whole():
    s = repl_session("e(1, 2).")
    assert "error" in s.feed("e(7, 8). e(\"a\", 9).")
    assert s.feed("e(x, y)?") == "// e: 1 fact\ne(1, 2)."


def test_an_error_about_an_earlier_input_names_that_input():
    s = repl_session("e(1, 2).", "p(x, y) :- e(x, y).")
    out = s.feed("p(x)?")
    assert "<repl>:1:1: error:" in out and "<repl:2>:1:1: note:" in out


def test_a_question_mark_after_something_else_is_an_error():
    s = repl_session(GRAPH)
    assert "`?` follows one atom" in s.feed("path(x, y) :- e(x, y)?")
    assert "error" in s.feed("1 + 2?")


def test_no_input_raises():
    s = repl_session(GRAPH)
    for text in ["?", "(", ")", ".", "::", "query", "query 1.", "e(1,2)?x", "\"open", "/* open",
                 "@provenance(", ":", ": ", "::x", "p(x) :- not.", "\x00", "é(1)."]:
        assert isinstance(s.feed(text), str)
    assert s.feed("path(1, x)?").endswith("path(1, 3).")


# ---- commands -----------------------------------------------------------------------------

def test_rels_lists_arity_and_column_types():
    s = repl_session('e(1, 2).', 'name(1, "one").', "rel alarm", "path(x, y) :- e(x, y).")
    assert s.feed(":rels") == "alarm/0\ne/2 (int, int)\nname/2 (int, str)\npath/2 (int, int)"
    assert ReplSession().feed(":rels") == "no relations yet"


def test_ir_prints_the_optimised_program():
    out = repl_session(GRAPH).feed(":ir")
    assert "relation path(int, int) idb" in out
    assert "loop rule" in out  # semi-naive evaluation has run


def test_load_adds_a_file_and_runs_its_queries(tmp_path):
    program = tmp_path / "graph.nsl"
    program.write_text(GRAPH + "query path(1, x).\n")
    s = ReplSession()
    assert s.feed(f":load {program}") == "// path: 2 facts\npath(1, 2).\npath(1, 3)."
    assert s.feed("e(3, 4). path(1, x)?").endswith("path(1, 4).")


def test_load_errors_name_the_file(tmp_path):
    s = ReplSession()
    missing = tmp_path / "missing.nsl"
    assert s.feed(f":load {missing}") == f"{missing}: error: no such file"
    bad = tmp_path / "bad.nsl"
    bad.write_text("e(1, 2).\np(x) :- q(x).\n")
    assert s.feed(f":load {bad}").startswith(f"{bad}:2:9: error: unknown relation 'q'")
    assert "needs a file name" in s.feed(":load")
    assert s.feed(":rels") == "no relations yet"


def test_reset_help_quit_and_unknown_commands():
    s = repl_session(GRAPH)
    assert s.feed(":reset") == "the session is empty"
    assert s.feed(":rels") == "no relations yet"
    assert ":load FILE" in s.feed(":help")
    assert "did you mean ':rels'" in s.feed(":relz")
    assert not s.finished
    assert s.feed(":q") == "" and s.finished


def test_an_imported_module_is_spliced_in_once():
    s = repl_session("edge(1, 2).", "import std.graph", "import std.graph")
    assert s.feed("reachable(1, x)?") == "// reachable: 1 fact\nreachable(1, 2)."


def test_relation_names_for_completion():
    assert repl_session(GRAPH).relation_names() == ["e", "path"]


# ---- when an input is complete --------------------------------------------------------------

@pytest.mark.parametrize("text", ["e(1,", "e(1, 2)", "p(x) :- e(x", "p(x) :- e(x, y),", "/* a comment",
                                  "e(1, 2). e(", "p(x) :-\n  e(x, _)"])
def test_input_cut_short_continues(text):
    assert not is_complete(text)


@pytest.mark.parametrize("text", ["e(1, 2).", "p(x) :- e(x, _).", "rel edge(a: int, b: int)", "", "  \n",
                                  ":load x.nsl", "path(1, x)?", "path(1,\n x)?", "e(1 2).", "e(1, 2) e(3).",
                                  "/* done */", "e(1, 2). // why?", "import std.graph"])
def test_complete_input_or_a_real_error_submits(text):
    assert is_complete(text)


def test_tokens_for_highlighting():
    line = 'path(a, c) :- path(a, b), not e(b, "x"), n = count(m: e(m, _)). // hi'
    kinds = {t.text: t.kind for t in tokenize(line, frozenset({"e"}))}
    assert kinds["path"] == "relation" and kinds["not"] == "keyword" and kinds["count"] == "builtin"
    assert kinds["a"] == "variable" and kinds['"x"'] == "string" and kinds["// hi"] == "comment"
    assert kinds[":-"] == "operator"
    assert tokenize("alarm", frozenset({"alarm"}))[0].kind == "relation"


# ---- the pipe ----------------------------------------------------------------------------------

def test_piped_lines_are_grouped_into_complete_inputs():
    out = io.StringIO()
    status = run_piped(ReplSession(), io.StringIO("e(1,\n 2).\np(x) :-\n  e(x, _).\np(x)?\n"), out)
    assert (status, out.getvalue()) == (0, "// p: 1 fact\np(1).\n")


def test_piped_input_ending_mid_statement_reports_it():
    out = io.StringIO()
    assert run_piped(ReplSession(), io.StringIO("e(1, 2).\ne(3,\n"), out) == 1
    assert "ended unexpectedly" in out.getvalue()


def test_nslc_repl_reads_a_pipe():
    script = "e(1,2). p(x) :- e(x, _). query p(x).\nq(x) :- nope(x).\n:rels\n:quit\nignored(\n"
    proc = nslc("repl", input=script)
    assert proc.stdout.startswith("// p: 1 fact\np(1).\n<repl>:1:9: error: unknown relation 'nope'")
    assert proc.stdout.endswith("e/2 (int, int)\np/1 (int)\n")
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1  # an input was rejected


def test_nslc_repl_loads_its_file_argument(tmp_path):
    program = tmp_path / "g.nsl"
    program.write_text(GRAPH)
    proc = nslc("repl", str(program), input="path(1, x)?\n")
    assert (proc.returncode, proc.stdout) == (0, "// path: 2 facts\npath(1, 2).\npath(1, 3).\n")


def test_import_nsl_and_the_repl_module_stay_light():
    code = ("import sys, nsl, nsl.repl, nsl.cli; nsl.cli.build_parser(); "
            "heavy = [m for m in ('torch', 'z3', 'llvmlite', 'prompt_toolkit') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
