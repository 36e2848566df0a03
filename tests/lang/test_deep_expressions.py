"""Deeply nested expressions compile, check, format and run without touching Python's
recursion limit: every pass over an expression walks it with an explicit stack."""
from __future__ import annotations

import sys

import pytest

import nsl
from nsl.lang.ast_dump import dump
from nsl.lang.formatter import format_source
from nsl.lang.parser import MAX_AGGREGATE_NESTING, parse
from tests.helpers import expect_error

DEPTH = 5000  # five times the default recursion limit


@pytest.mark.parametrize("kind", ["int_sum", "float_sum", "parens", "minus", "product"])
def test_a_deep_expression_runs_with_the_recursion_limit_untouched(kind):
    n = DEPTH
    if kind == "int_sum":
        source, want = "o(7).\nq(x) :- o(y), x = y" + " + 3" * n + ".\n", 7 + 3 * n
    elif kind == "float_sum":  # left to right, as Python adds: float + is not associative
        source = "o(0.5).\nq(x) :- o(y), x = y" + " + 0.1" * n + ".\n"
        want = 0.5
        for _ in range(n):
            want += 0.1
    elif kind == "parens":
        source, want = "o(1).\nq(x) :- o(y), x = " + "(" * n + "y" + " - 2)" * n + ".\n", 1 - 2 * n
    elif kind == "minus":
        source, want = "o(1).\nq(x) :- o(y), x = y" + " - 1" * n + ".\n", 1 - n
    else:  # int64 wraps, as the run computes it
        source = "o(3).\nq(x) :- o(y), x = y" + " * 3" * n + ".\n"
        want = pow(3, n + 1, 1 << 64)
        want = want - (1 << 64) if want >= 1 << 63 else want
    limit = sys.getrecursionlimit()
    rows = [tuple(r) for r in nsl.compile(source).run()["q"]]
    assert sys.getrecursionlimit() == limit
    assert rows == [(want,)]
    assert type(rows[0][0]) is type(want)


def test_a_deep_string_concatenation_keeps_its_order():
    n = DEPTH
    source = 'o("a").\nq(x) :- o(y), x = y' + "".join(f' ++ "{i % 10}"' for i in range(n)) + ".\n"
    limit = sys.getrecursionlimit()
    rows = [tuple(r) for r in nsl.compile(source).run()["q"]]
    assert sys.getrecursionlimit() == limit
    assert rows == [("a" + "".join(str(i % 10) for i in range(n)),)]


def test_deep_calls_and_comparisons_run():
    n = 2000
    source = ("o(1).\nq(x) :- o(y), x = " + "abs(" * n + "-y" + ")" * n + ".\n"
              "r(x) :- o(x), x < x" + " + 1" * n + ".\n")
    result = nsl.compile(source).run()
    assert [tuple(r) for r in result["q"]] == [(1,)]
    assert [tuple(r) for r in result["r"]] == [(1,)]


def test_a_deep_expression_formats_dumps_and_round_trips():
    limit = sys.getrecursionlimit()
    source = "o(1).\nq(x) :- o(y), x = y" + " + 1" * DEPTH + ".\nconstraint c: p(1)" + " and p(1)" * DEPTH + ".\n"
    source = "p(1).\n" + source
    formatted = format_source(source)
    # dumps, not `==`: the dataclasses' generated __eq__ recurses once per level
    assert dump(parse(formatted), with_spans=False) == dump(parse(source), with_spans=False)
    assert format_source(formatted) == formatted
    assert dump(parse(source)).count("BinOp(") == DEPTH
    assert sys.getrecursionlimit() == limit


def test_aggregates_nested_past_the_limit_are_a_positioned_error():
    n = MAX_AGGREGATE_NESTING + 1
    source = ("o(1).\nq(x) :- x = count(a: o(a)"
              + "".join(f", b{i} = count(a{i}: o(a{i})" for i in range(n)) + ")" * n + ").\n")
    text = expect_error(source, "<input>:2:", f"aggregates nest more than {MAX_AGGREGATE_NESTING} deep")
    assert "RecursionError" not in text
