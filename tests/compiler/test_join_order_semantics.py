"""Join ordering keeps what a rule means: a join on a variable that `x = expr` binds tests
against that value, so it runs after the map (run first, it bound x itself, and every
value of r(x) was derived)."""
from tests.helpers import expect_result


def test_join_on_a_computed_variable_runs_after_the_map():
    expect_result("q(1). q(7).\nr(3).\nv(x) :- q(y), x = y + 2, r(x).", {"v": [(3,)]})


def test_join_on_an_aggregate_result_runs_after_the_aggregate():
    expect_result("q(1). q(7).\nr(2). r(5).\nv(n) :- n = count(y: q(y)), r(n).", {"v": [(2,)]})
