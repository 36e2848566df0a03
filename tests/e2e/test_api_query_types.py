"""A query's constants are type-checked against the column, as a rule body's are.

The runtime reads a constant as the column's type, so an unchecked `"1"` in an
int column matched the row 1 and `"a"` crashed with int("a")."""
from __future__ import annotations

import pytest

from tests.helpers import expect_error, expect_result, nslc

EDGES = "edge(1, 2). edge(2, 3). edge(0, 5).\n"


@pytest.mark.parametrize("const, got", [('"1"', "str"), ('"a"', "str"), ("1.9", "float"),
                                        ("2.0", "float"), ("true", "bool"), ("false", "bool")])
def test_a_wrong_typed_query_constant_is_a_positioned_error(const, got):
    text = expect_error(EDGES + f"query edge({const}, x).\n",
                        f"argument 1 of 'edge' has type int, but this value is {got}")
    assert "<input>:2:12: error" in text


def test_an_int_constant_on_a_str_column_is_an_error():
    expect_error('e("a").\nquery e(1).\n', "argument 1 of 'e' has type str, but this value is int")


def test_well_typed_query_constants_still_select_rows():
    expect_result(EDGES + "query edge(2, x).\n", {"edge": [(2, 3)]})
    expect_result("f(1.0). f(2.5).\nquery f(1).\n", {"f": [(1.0,)]})


def test_cli_and_repl_report_the_error_with_a_caret(tmp_path):
    (tmp_path / "q.nsl").write_text(EDGES + 'query edge("a", x).\n')
    out = nslc("run", "q.nsl", cwd=str(tmp_path))
    assert out.returncode == 1 and "internal error" not in out.stderr
    assert "q.nsl:2:12: error: argument 1 of 'edge' has type int, but this value is str" in out.stderr
    assert '           ^^^' in out.stderr
    repl = nslc("repl", input='edge(1, 2).\nedge("a", x)?\nedge(true, x)?\nedge(1, x)?\n')
    shown = repl.stdout + repl.stderr
    assert shown.count("but this value is") == 2 and "internal error" not in shown
    assert "edge(1, 2)." in shown


def test_an_expression_argument_is_reported_once_not_also_as_a_type_error():
    text = expect_error('e("a").\nquery e(1 + 2).\nquery e(-1).\n',
                        "query arguments are constants, variables or `_`",
                        "<input>:3:9: error: argument 1 of 'e' has type str, but this value is int")
    assert text.count("<input>:2:9: error") == 1
