"""The `rule_forms` check: formula-only forms in a rule are reported by `nslc check`, at the form,
with what to write instead, together with the program's other errors."""
from tests.helpers import expect_error, expect_result


def test_chained_comparison_suggests_two_comparisons():
    text = expect_error("n(1). n(2).\nm(x) :- n(x), 0 < x < 2.\n",
                        "<input>:2:15: error: a chained comparison cannot appear in a rule body",
                        "note: write it as two comparisons: `0 < x, x < 2`")
    assert text.splitlines()[2] == " " * 14 + "^" * 9


def test_the_suggested_comparisons_run():
    expect_result("n(1). n(2).\nm(x) :- n(x), 0 < x, x < 2.\n", {"m": [(1,)]})


def test_distinct_suggests_pairwise_inequalities():
    expect_error("n(1).\np(x, y) :- n(x), n(y), distinct(x, y, 3).\n",
                 "<input>:2:24: error: `distinct(...)` cannot appear in a rule body",
                 "note: in a rule, compare the values pairwise: `x != y, x != 3, y != 3`")


def test_distinct_as_a_value():
    expect_error("n(1).\np(b) :- n(x), b = distinct(x).\n",
                 "<input>:2:19: error: `distinct(...)` is not a value in a rule")


def test_every_form_is_reported_with_the_other_errors():
    text = expect_error("n(1).\na(y) :- n(x), y = [x].\nb(y) :- n(x), y = x[0].\nc(y) :- n(x), y = x + 1s.\n"
                        "d(x) :- n(x), unknown(x).\n",
                        "<input>:2:19: error: a list cannot appear in a rule",
                        "<input>:3:19: error: indexing cannot appear in a rule",
                        "<input>:4:23: error: a duration cannot appear in a rule",
                        "<input>:5:15: error: unknown relation")
    assert "not supported" not in text


def test_forms_in_heads_aggregate_bodies_objectives_and_atom_arguments():
    expect_error("n(1).\nh(x[0]) :- n(x).\n", "<input>:2:3: error: indexing cannot appear in a rule")
    expect_error("n(1).\nh(x) :- n(x), exists(y: n(y), x < y < 3).\n",
                 "<input>:2:31: error: a chained comparison cannot appear in a rule body")
    expect_error("n(1).\nh(b) :- b = argmax(a: n(a), [a]).\n", "<input>:2:29: error: a list cannot appear")
    expect_error("n(1).\nh(x) :- n(x), not n([x]).\n", "<input>:2:21: error: a list cannot appear")
    text = expect_error("n(1).\nh(x) :- n(x), n(count(y: n(y))).\n",
                        "<input>:2:17: error: an aggregate cannot be an argument of an atom")
    assert "unsafe" not in text  # the aggregate's own variable is not reported as unbound


def test_call_arity():
    expect_error("n(1).\nh(y) :- n(x), y = abs(x, 1).\n", "<input>:2:19: error: abs takes one argument, not 2")
    expect_error("n(1).\nh(y) :- n(x), y = max(x).\n", "<input>:2:19: error: max takes two or more values, not 1",
                 "bind the aggregate: `m = max(v: body)`")


def test_builtin_calls_a_rule_supports_pass():
    expect_result("n(-2). n(3).\nh(y) :- n(x), y = max(abs(x), min(x, 1), 0).\n", {"h": [(2,), (3,)]})


def test_query_arguments_are_checked_with_the_rules():
    expect_error("q(3).\nquery q(1 + 2).\nr(y) :- q(x), y = [x].\n",
                 "<input>:2:9: error: query arguments are constants, variables or `_`",
                 "<input>:3:19: error: a list cannot appear in a rule")
