"""An aggregate compared with `< <= > >= !=` keeps the rows where that comparison holds,
whichever side the aggregate stands on (it used to be lowered as `=` whatever the operator)."""
from tests.helpers import expect_result

FACTS = "q(1). q(2).\n"


def test_constant_below_a_count():
    expect_result(FACTS + "p(x) :- q(x), 0 < count(y: q(y)).", {"p": [(1,), (2,)]})
    expect_result(FACTS + "p(x) :- q(x), 5 < count(y: q(y)).", {"p": []})


def test_bound_variable_compared_with_a_count_either_way_round():
    expect_result(FACTS + "p(x) :- q(x), x < count(y: q(y)).", {"p": [(1,)]})
    expect_result(FACTS + "p(x) :- q(x), count(y: q(y)) > x.", {"p": [(1,)]})
    expect_result(FACTS + "p(x) :- q(x), count(y: q(y)) <= x.", {"p": [(2,)]})
    expect_result(FACTS + "p(x) :- q(x), x >= count(y: q(y)).", {"p": [(2,)]})


def test_not_equal_to_a_correlated_count():
    expect_result(FACTS + "p(x) :- q(x), count(y: q(y), y > x) != 0.", {"p": [(1,)]})


def test_expression_compared_with_a_max():
    expect_result(FACTS + "p(x) :- q(x), max(y: q(y)) >= x + 1.", {"p": [(1,)]})


def test_equality_still_binds_and_tests():
    expect_result(FACTS + "p(x, n) :- q(x), n = count(y: q(y)).", {"p": [(1, 2), (2, 2)]})
    expect_result(FACTS + "p(x) :- q(x), x = count(y: q(y)).", {"p": [(2,)]})
    expect_result(FACTS + "p(x) :- q(x), x == count(y: q(y)).", {"p": [(2,)]})
