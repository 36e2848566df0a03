"""An inferred column that holds both ints and floats is a float column, whatever the order of
the facts and rules: int literals read as floats there; an int variable is an error."""
import pytest

from tests.helpers import expect_error, expect_result


@pytest.mark.parametrize("facts", ["p(1). p(2.5).", "p(2.5). p(1)."])
def test_int_and_float_literals_make_a_float_column_in_either_order(facts):
    expect_result(facts + "\n", {"p": [(1.0,), (2.5,)]})


@pytest.mark.parametrize("facts", ["r(1.5, 2). r(1, 2.5).", "r(1, 2.5). r(1.5, 2)."])
def test_each_column_widens_on_its_own(facts):
    expect_result(facts + "\ns(y) :- r(_, y), y > 2.1.\n", {"r": [(1.0, 2.5), (1.5, 2.0)], "s": [(2.5,)]})


@pytest.mark.parametrize("program", ["gi(1).\np(x) :- gi(x).\np(2.5).\n",
                                     "p(2.5).\np(x) :- gi(x).\ngi(1).\n"])
def test_an_int_variable_in_the_widened_column_is_the_error_in_either_order(program):
    expect_error(program, "<input>:2:3: error: argument 1 of 'p' has type float, but variable 'x' is int")


def test_a_declared_int_column_does_not_widen():
    expect_error("rel p(a: int)\np(1). p(2.5).\n",
                 "<input>:2:9: error: argument 1 of 'p' has type int, but this value is float")


@pytest.mark.parametrize("program", ["pi(1).\nh(x) :- pi(x).\npi(2.5).\n",
                                     "pi(1).\npi(2.5).\nh(x) :- pi(x).\n",
                                     "h(x) :- pi(x).\npi(2.5).\npi(1).\n",
                                     "k(y) :- h(y).\npi(1).\nh(x) :- pi(x).\npi(2.5).\n"])
def test_a_rule_copying_a_widened_column_is_float_in_any_order(program):
    """The head's column receives the floats too, whatever came first (it was int, and
    an error, when the rule stood between the int fact and the float one)."""
    expected = {"h": [(1.0,), (2.5,)]}
    if program.startswith("k"):
        expected["k"] = [(1.0,), (2.5,)]
    expect_result(program, expected)


@pytest.mark.parametrize("program", ["pi(1).\nh(x) :- pi(x), pi(2.5).\n",
                                     "pi(1).\nh(x) :- pi(2.5), pi(x).\n"])
def test_a_float_constant_in_a_body_widens_the_column_in_either_position(program):
    expect_result(program, {"h": []})  # pi holds only 1.0, so pi(2.5) finds nothing
