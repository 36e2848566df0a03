"""Errors found while lowering render like the checker's: position, source line, caret --
from the library, the CLI and the REPL alike."""
from tests.helpers import expect_error, nslc

ORDER = "q(1, 2).\np(x, c) :- q(x, _), c = count(y: q(y, z), z = c).\n"


def test_library_lowering_error_has_source_line_and_caret():
    text = expect_error(ORDER, "<input>:2:21: error: cannot order this literal")
    assert text.splitlines()[1:] == ["p(x, c) :- q(x, _), c = count(y: q(y, z), z = c).",
                                     " " * 20 + "^" * 28]


def test_query_argument_error_from_the_library():
    text = expect_error("q(3).\nquery q(1 + 2).", "<input>:2:9: error: query arguments")
    assert text.endswith("query q(1 + 2).\n        ^^^^^")


def test_repl_lowering_error_has_caret():
    proc = nslc("repl", input="q(1).\np(y) :- q(x), y = [x, x].\n")
    assert "error: this expression is not supported in a rule\np(y) :- q(x), y = [x, x].\n" \
           "                  ^^^^^^" in proc.stdout + proc.stderr
