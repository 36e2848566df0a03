"""``nslc fmt``: formatting keeps a program's meaning, is idempotent, and lays
programs out as the golden files under ``golden/parse`` show.

Golden pairs: ``x.nsl`` is the input, ``x.fmt.nsl`` the expected output of
``format_source``, compared byte for byte. The expected files were written by
reading each output and judging it as a user would, not by copying it.
"""
from __future__ import annotations

import ast as pyast
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsl.lang import ast as A
from nsl.lang.formatter import Unprintable, format_program, format_source, format_statement, quote
from nsl.lang.parser import parse

from . import ast_strategies as S

GOLDEN = Path(__file__).parent / "golden" / "parse"
INPUTS = sorted(p for p in GOLDEN.glob("*.nsl") if not p.name.endswith(".fmt.nsl"))
FILE = "<fmt>"

# Drawing the trees, not formatting them, is what takes the time.
fast = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
faster = settings(fast, max_examples=50)


def reformat(program: A.Program) -> str:
    return format_program(parse(format_program(program), program.file))


# ---- properties over random trees ----------------------------------------------------
@fast
@given(S.programs)
def test_formatting_preserves_meaning(program):
    assert parse(format_program(program), FILE) == program


@faster
@given(S.programs)
def test_formatting_is_idempotent(program):
    text = format_program(program)
    assert format_program(parse(text, FILE)) == text


@pytest.mark.parametrize("strategy", [
    S.directives, S.type_decls, S.rel_decls, S.rules, S.disjunctions, S.neural_decls,
    S.train_stmts, S.constraints, S.proves, S.entails, S.solves, S.indexes, S.check_irs,
    S.imports, S.queries,
], ids=lambda s: repr(s)[:40])
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_statement_kind_round_trips(strategy, data):
    statement = data.draw(strategy)
    program = A.Program((statement,), FILE)
    assert parse(format_program(program), FILE) == program


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_strings_read_back(s):
    token = quote(s)
    assert re.fullmatch(r'"([^"\\\n]|\\.)*"', token)  # the grammar's STRING
    assert pyast.literal_eval(token) == s  # the parser's unquoting
    assert "\n" not in token and "\r" not in token


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers())
def test_numbers_read_back(number):
    program = A.Program((A.Rule(A.Atom("n", (A.Const(number),))),), FILE)
    (rule,) = parse(format_program(program), FILE).statements
    assert rule.head.args[0].value == number and type(rule.head.args[0].value) is type(number)


# ---- golden layouts -------------------------------------------------------------------
@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.stem)
def test_golden_layout(source):
    expected = source.with_name(source.stem + ".fmt.nsl").read_text(encoding="utf-8")
    text = source.read_text(encoding="utf-8")
    assert format_source(text, source.name) == expected
    assert parse(expected, source.name) == parse(text, source.name)  # same meaning
    assert format_source(expected, source.name) == expected  # already canonical


def test_language_reference_examples_parse_and_round_trip():
    program = parse((GOLDEN / "language_examples.nsl").read_text(encoding="utf-8"), FILE)
    kinds = {type(s) for s in program.statements}
    assert kinds == {A.TypeDecl, A.RelDecl, A.Rule, A.AnnotatedDisjunction, A.Directive,
                     A.NeuralDecl, A.TrainStmt, A.ConstraintStmt, A.ProveStmt, A.EntailsStmt,
                     A.SolveStmt, A.IndexDecl, A.CheckIrStmt, A.Import, A.Query}
    assert parse(format_program(program), FILE) == program
    assert reformat(program) == format_program(program)


# ---- layout rules ---------------------------------------------------------------------
def test_rule_breaks_only_past_88_columns():
    def rule(width):
        filler = "x" * (width - len("h :- , q."))
        return f"h :- {filler}, q."
    fits = rule(88)
    assert len(fits) == 88 and format_source(fits) == fits + "\n"
    assert format_source(rule(89)) == f"h :-\n    {'x' * (89 - len('h :- , q.'))},\n    q.\n"


def test_blank_line_between_groups_of_different_kinds():
    text = "rel e(a: int)\ne(1). e(2).\n0.5 :: e(3); 0.5 :: e(4).\nr(x) :- e(x).\nquery r(x).\n"
    assert format_program(parse(text)) == (
        "rel e(a: int)\n\ne(1).\ne(2).\n0.5 :: e(3); 0.5 :: e(4).\n\nr(x) :- e(x).\n\nquery r(x).\n")


def test_empty_program_formats_to_nothing():
    assert format_program(parse("")) == ""
    assert format_source("// only a comment\n") == "// only a comment\n"


# ---- comments -------------------------------------------------------------------------
def test_format_program_drops_comments_format_source_keeps_them():
    text = "// why\np(1).  // trailing\n"
    assert format_program(parse(text)) == "p(1).\n"
    assert format_source(text) == text


def test_comment_markers_inside_strings_are_not_comments():
    text = 'p("// no", "/* no */").  // yes\n'
    assert format_source(text) == text


def test_comment_inside_a_statement_moves_above_it():
    text = "solve s(x: int) {\n  x > 0, // positive\n  minimize x\n}\n"
    assert format_source(text) == "// positive\nsolve s(x: int) { x > 0, minimize x }\n"


def test_trailing_comment_follows_the_last_statement_on_its_line():
    assert format_source("a. b. /* on b */\n") == "a.\nb.  /* on b */\n"


def test_blank_lines_collapse_to_one():
    assert format_source("a.\n\n\n\nb.\n\n\n// end\n\n") == "a.\n\nb.\n\n// end\n"


@faster
@given(S.programs, st.data())
def test_comments_survive_anywhere_between_lines(program, data):
    """Comments sprinkled at line ends and between lines all come out, in order,
    and neither the meaning nor idempotence suffers."""
    lines = format_program(program).split("\n")
    marks = data.draw(st.lists(st.sampled_from(["  // t", "\n// own", "\n/* b\n  b */", ""]),
                               min_size=len(lines), max_size=len(lines)))
    text = "".join(line + mark + "\n" for line, mark in zip(lines, marks))
    out = format_source(text, FILE)
    assert parse(out, FILE) == program
    assert format_source(out, FILE) == out
    comments = [m.strip() for m in marks if m]
    tokens = re.findall(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/', out, re.S)
    found = [t for t in tokens if not t.startswith('"')]
    assert [c.replace("\n", " ") for c in found] == [c.replace("\n", " ") for c in comments]


# ---- what no text can say -----------------------------------------------------------
@pytest.mark.parametrize("node", [
    A.Rule(A.Atom("p", (A.Neg(A.Const(1)),))),  # the parser folds `-1` to Const(-1)
    A.Rule(A.Atom("p", (A.Const(float("nan")),))),
    A.Rule(A.Atom("p", ()), A.Body(((A.Connective("or", A.Atom("a", ()), A.Atom("b", ())),),))),
])
def test_unprintable_trees_are_refused(node):
    with pytest.raises(Unprintable):
        format_statement(node)


def test_the_cli_keeps_comments_in_fmt_and_fmt_in_place(tmp_path):
    from tests.helpers import nslc
    source = ("// header\np(1).   /* after p */\nq(x) :-\n  // inside\n  p(x).\n/* footer */\n")
    path = tmp_path / "c.nsl"
    path.write_text(source)
    printed = nslc("fmt", str(path))
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == format_source(source)
    for comment in ("// header", "/* after p */", "// inside", "/* footer */"):
        assert comment in printed.stdout
    assert nslc("fmt", "-i", str(path)).returncode == 0
    assert path.read_text() == printed.stdout
    assert nslc("fmt", "--check", str(path)).returncode == 0  # fmt -i's output is formatted
    assert format_program(parse(path.read_text(), FILE)) == format_program(parse(source, FILE))
