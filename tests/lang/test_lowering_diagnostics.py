"""Errors found while lowering render like the checker's: position, source line, caret --
from the library, the CLI and the REPL alike."""
import pytest

from nsl.compiler.lower import lower
from nsl.lang.check import CheckedProgram
from nsl.lang.check.stratify import stratify
from nsl.lang.check.symbols import collect
from nsl.lang.check.types import infer_and_check
from nsl.lang.diagnostics import CompileError, SourceMap
from nsl.lang.loader import load_program
from tests.helpers import expect_error, nslc

SEVERAL = "score(1, 2, 0.5).\nq(1).\nbest(x) :- q(x), x = argmax(p, r: score(p, r, v), v).\n"


def test_library_lowering_error_has_source_line_and_caret():
    text = expect_error(SEVERAL, "<input>:3:22: error: argmax over several variables")
    assert text.splitlines()[1:] == ["best(x) :- q(x), x = argmax(p, r: score(p, r, v), v).",
                                     " " * 21 + "^" * 31]


def _lower_unchecked(text: str) -> str:
    """Lower ``text`` skipping safety and aggregate order (the checks that catch these first)."""
    sources, diags = SourceMap(), []
    program = load_program(text, "<input>", sources)
    table = collect(program, diags)
    infer_and_check(program, table, diags)
    strata = stratify(program, table, diags)
    with pytest.raises(CompileError) as info:
        lower(CheckedProgram(program, table, strata, sources=sources))
    return info.value.render()


def test_lowering_names_the_variables_no_order_binds():
    # The checks report these first; lowering still says what is missing, not a traceback.
    text = _lower_unchecked("q(1).\np(x) :- q(y), x == y + 1.\n")
    assert text.startswith("<input>:2:15: error: cannot order this literal: it needs 'x' bound first, "
                           "and no literal of the rule can bind it before this one runs\n")


def test_lowering_names_an_aggregates_missing_keys():
    text = _lower_unchecked("q(1, 2).\np(x, c) :- q(x, _), c = count(y: q(y, c)).\n")
    assert text.startswith("<input>:2:21: error: cannot order this literal: it needs 'c' bound first")
    assert "note: a count runs once its keys (the variables its body shares with the rest of the " \
           "rule) are bound" in text


def test_query_argument_error_from_the_library():
    text = expect_error("q(3).\nquery q(1 + 2).", "<input>:2:9: error: query arguments")
    assert "\nquery q(1 + 2).\n        ^^^^^\nnote: to query computed values" in text


def test_repl_rule_form_error_has_caret():
    # The `rule_forms` check reports it now; the REPL renders it like any check's error.
    proc = nslc("repl", input="q(1).\np(y) :- q(x), y = [x, x].\n")
    assert "error: a list cannot appear in a rule: a column holds one value per row\n" \
           "p(y) :- q(x), y = [x, x].\n                  ^^^^^^" in proc.stdout + proc.stderr


def test_lowering_still_rejects_formula_forms_it_is_given_unchecked():
    # The checks report these first (``rule_forms``); lowering unchecked input keeps a diagnostic.
    assert _lower_unchecked("q(1).\np(x) :- q(x), 0 < x < 3.\n").startswith(
        "<input>:2:15: error: this cannot appear in a rule body\n")
    assert _lower_unchecked("q(1).\np(y) :- q(x), y = x[0].\n").startswith(
        "<input>:2:19: error: this expression is not supported in a rule\n")
