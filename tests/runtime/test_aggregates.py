"""Aggregates: correlation, distinctness over keys + vars, empty groups, argmax ties, nesting."""
import pytest

from ir_builders import W, agg, binop, filt, insert, join, lit, one_rule, rows_of, v

SCORE = [("a", 3), ("b", 7), ("c", 7), ("d", 1)]
NODES = [(1,), (2,), (3,)]
EDGES = [(1, 2), (1, 3), (2, 3), (2, 3)]


def _per_node(op, results=("r",), vars_=("m",), result_types=("int",)):
    body = [join("edge", "n", "m")]
    return one_rule(["int", "int"], [join("node", "n"),
                                     agg(op, results, vars_, ("n",), body, result_types=result_types),
                                     insert("out", "n", "r")],
                    {"node": ["int"], "edge": ["int", "int"]})


def test_count_gives_zero_for_empty_groups():
    assert rows_of(_per_node("count"), "out", {"node": NODES, "edge": EDGES}) == [(1, 2), (2, 1), (3, 0)]


def test_sum_is_over_distinct_bindings_of_the_listed_vars():
    mod = one_rule(["int"], [agg("sum", ("s",), ("p",), (), [join("price", W, "p")]),
                             insert("out", "s")], {"price": ["int", "int"]})
    assert rows_of(mod, "out", {"price": [(1, 5), (2, 5), (3, 2)]}) == [(7,)]
    mod = one_rule(["int"], [agg("sum", ("s",), ("p", "i"), (), [join("price", "i", "p")]),
                             insert("out", "s")], {"price": ["int", "int"]})
    assert rows_of(mod, "out", {"price": [(1, 5), (2, 5), (3, 2)]}) == [(12,)]
    assert rows_of(mod, "out", {"price": []}) == [(0,)]
    assert rows_of(_per_node("sum"), "out", {"node": NODES, "edge": EDGES}) == [(1, 5), (2, 3), (3, 0)]


def test_float_sum():
    mod = one_rule(["float"], [agg("sum", ("s",), ("x",), (), [join("p", v("x", "float"))],
                                   result_types=("float",)), insert("out", v("s", "float"))],
                   {"p": ["float"]})
    assert rows_of(mod, "out", {"p": [(0.5,), (0.25,)]}) == [(0.75,)]
    assert rows_of(mod, "out", {"p": []}) == [(0.0,)]


@pytest.mark.parametrize("op,expected", [("min", [(1, 2), (2, 3)]), ("max", [(1, 3), (2, 3)])])
def test_min_max_drop_empty_groups(op, expected):
    assert rows_of(_per_node(op), "out", {"node": NODES, "edge": EDGES}) == expected


def test_string_min_is_lexicographic():
    s = lambda n: v(n, "str")  # noqa: E731
    mod = one_rule(["str"], [agg("min", ("r",), ("w",), (), [join("p", s("w"))], result_types=("str",)),
                             insert("out", s("r"))], {"p": ["str"]})
    assert rows_of(mod, "out", {"p": [("pear",), ("apple",), ("fig",)]}) == [("apple",)]


def test_argmax_returns_all_ties_and_argmin():
    def mod(op):
        return one_rule(["str"], [agg(op, ("w",), ("p",), (), [join("score", v("p", "str"), "s")],
                                      objective=v("s"), result_types=("str",)),
                                  insert("out", v("w", "str"))], {"score": ["str", "int"]})
    assert rows_of(mod("argmax"), "out", {"score": SCORE}) == [("b",), ("c",)]
    assert rows_of(mod("argmin"), "out", {"score": SCORE}) == [("d",)]
    assert rows_of(mod("argmax"), "out", {"score": []}) == []


def test_exists_and_not_exists():
    def mod(op):
        return one_rule(["int"], [join("node", "n"), agg(op, (), ("m",), ("n",), [join("edge", "n", "m")]),
                                  insert("out", "n")], {"node": ["int"], "edge": ["int", "int"]})
    assert rows_of(mod("exists"), "out", {"node": NODES, "edge": EDGES}) == [(1,), (2,)]
    assert rows_of(mod("not_exists"), "out", {"node": NODES, "edge": EDGES}) == [(3,)]


def test_aggregate_with_several_alternatives_and_a_filter():
    body1 = [join("p", "x"), filt(binop("gt", v("x"), lit(1)))]
    body2 = [join("q", "x")]
    mod = one_rule(["int"], [agg("count", ("c",), ("x",), (), body1, body2), insert("out", "c")],
                   {"p": ["int"], "q": ["int"]})
    assert rows_of(mod, "out", {"p": [(1,), (2,), (3,)], "q": [(3,), (4,)]}) == [(3,)]


def test_nested_aggregate():
    # for each n: how many successors m have at least 1 successor themselves
    inner = agg("count", ("k",), ("z",), ("m",), [join("edge", "m", "z")])
    body = [join("edge", "n", "m"), inner, filt(binop("ge", v("k"), lit(1)))]
    mod = one_rule(["int", "int"], [join("node", "n"), agg("count", ("r",), ("m",), ("n",), body),
                                    insert("out", "n", "r")], {"node": ["int"], "edge": ["int", "int"]})
    assert rows_of(mod, "out", {"node": NODES, "edge": EDGES}) == [(1, 1), (2, 0), (3, 0)]


def test_aggregate_over_empty_outer_table():
    assert rows_of(_per_node("count"), "out", {"node": [], "edge": EDGES}) == []
