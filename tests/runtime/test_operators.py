"""Direct tests of each operator, nullary relations, inputs, facts and errors."""
import pytest
import torch

from nsl.compiler import ir
from nsl.runtime import NotAvailable, execute
from nsl.runtime.errors import NslRuntimeError

from ir_builders import (W, anti, facts, insert, join, lit, module, one_rule, rel, rows_of,
                         rule, stratum, transitive_closure, v)

CHAIN = [(1, 2), (2, 3), (3, 4)]
TC = sorted({(a, b) for a in range(1, 5) for b in range(1, 5) if a < b})


@pytest.mark.parametrize("semi_naive", [True, False])
def test_transitive_closure(semi_naive):
    assert rows_of(transitive_closure(semi_naive), "path", {"edge": CHAIN}) == TC
    cyc = rows_of(transitive_closure(semi_naive), "path", {"edge": [(1, 2), (2, 1), (3, 3)]})
    assert cyc == [(1, 1), (1, 2), (2, 1), (2, 2), (3, 3)]


def test_nonlinear_transitive_closure_joins_delta_with_full():
    mod = module([rel("edge", "int", "int", kind="input"), rel("path", "int", "int")], [
        stratum("path", init=[rule(join("edge", "a", "b"), insert("path", "a", "b"))], loop=[
            rule(join("path", "a", "b", delta=True), join("path", "b", "c"), insert("path", "a", "c")),
            rule(join("path", "a", "b"), join("path", "b", "c", delta=True), insert("path", "a", "c")),
        ])])
    edges = [(i, i + 1) for i in range(40)]
    assert rows_of(mod, "path", {"edge": edges}) == [(a, b) for a in range(41) for b in range(a + 1, 41)]


def test_mutual_recursion_in_one_stratum():
    succ = rel("succ", "int", "int", kind="input")
    mod = module([succ, rel("even", "int"), rel("odd", "int")], [
        stratum(("even", "odd"), init=[rule(insert("even", lit(0)))], loop=[
            rule(join("even", "x", delta=True), join("succ", "x", "y"), insert("odd", "y")),
            rule(join("odd", "x", delta=True), join("succ", "x", "y"), insert("even", "y")),
        ])])
    db = execute(mod, inputs={"succ": [(i, i + 1) for i in range(6)]})
    assert db.rows("even") == [(0,), (2,), (4,), (6,)] and db.rows("odd") == [(1,), (3,), (5,)]


def test_join_literals_repeated_variables_and_wildcards():
    mod = one_rule(["int"], [join("t", "a", "a", W), insert("out", "a")], {"t": ["int"] * 3})
    assert rows_of(mod, "out", {"t": [(1, 1, 5), (1, 2, 5), (3, 3, 0)]}) == [(1,), (3,)]
    mod = one_rule(["int"], [join("t", "a", lit(2), W), insert("out", "a")], {"t": ["int"] * 3})
    assert rows_of(mod, "out", {"t": [(1, 1, 5), (1, 2, 5), (7, 2, 0)]}) == [(1,), (7,)]


def test_join_on_two_keys_and_cross_product():
    mod = one_rule(["int", "int", "int"], [join("p", "a", "b"), join("q", "a", "b", "c"),
                                           insert("out", "a", "b", "c")],
                   {"p": ["int", "int"], "q": ["int"] * 3})
    got = rows_of(mod, "out", {"p": [(1, 2), (2, 1), (-5, 10**12)],
                               "q": [(1, 2, 9), (1, 2, 8), (2, 2, 0), (-5, 10**12, 4)]})
    assert got == [(-5, 10**12, 4), (1, 2, 8), (1, 2, 9)]
    mod = one_rule(["int", "int"], [join("p", "a"), join("q", "b"), insert("out", "a", "b")],
                   {"p": ["int"], "q": ["int"]})
    assert rows_of(mod, "out", {"p": [(1,), (2,)], "q": [(3,), (4,)]}) == [(1, 3), (1, 4), (2, 3), (2, 4)]


def test_antijoin_with_keys_wildcards_and_no_keys():
    mod = one_rule(["int"], [join("node", "a"), anti("edge", "a", W), insert("out", "a")],
                   {"node": ["int"], "edge": ["int", "int"]})
    assert rows_of(mod, "out", {"node": [(1,), (2,), (3,)], "edge": [(1, 2), (2, 3)]}) == [(3,)]
    mod = one_rule(["int"], [join("node", "a"), anti("edge", W, lit(9)), insert("out", "a")],
                   {"node": ["int"], "edge": ["int", "int"]})
    assert rows_of(mod, "out", {"node": [(1,), (2,)], "edge": [(1, 2)]}) == [(1,), (2,)]
    assert rows_of(mod, "out", {"node": [(1,), (2,)], "edge": [(1, 9)]}) == []


def test_nullary_relations():
    mod = module([rel("burglary", kind="input"), rel("earthquake", kind="input"), rel("alarm")], [
        stratum("alarm", init=[rule(join("burglary"), anti("earthquake"), insert("alarm"))])])
    assert rows_of(mod, "alarm", {"burglary": [()], "earthquake": []}) == [()]
    assert rows_of(mod, "alarm", {"burglary": [()], "earthquake": [()]}) == []
    assert rows_of(mod, "alarm", {"burglary": [], "earthquake": []}) == []
    assert rows_of(mod, "alarm", {"burglary": [(), ()]}) == [()]


def test_facts_probabilities_and_weight_under_bool():
    mod = module([rel("c", "str"), rel("out", "str")],
                 [stratum("out", init=[rule(join("c", v("x", "str")), ir.Weight(0.3),
                                            insert("out", v("x", "str")))])],
                 facts=[facts("c", [("h",), ("t",), ("z",)], probs=[0.2, None, 0.0])])
    db = execute(mod)
    assert db.rows("c") == [("h",), ("t",)] and db.rows("out") == [("h",), ("t",)]
    assert db.facts("out") == [(("h",), 1.0), (("t",), 1.0)]


def test_inputs_as_columns_and_tensors():
    mod = one_rule(["int", "str"], [join("p", "a", v("s", "str")), insert("out", "a", v("s", "str"))],
                   {"p": ["int", "str"]})
    assert rows_of(mod, "out", {"p": {"id": torch.tensor([2, 1]), "name": ["b", "a"]}}) == [
        (1, "a"), (2, "b")]
    mod = one_rule(["int", "int"], [join("p", "a", "b"), insert("out", "b", "a")], {"p": ["int"] * 2})
    db = execute(mod, inputs={"p": torch.tensor([[1, 2], [3, 4]])})
    assert db.rows("out") == [(2, 1), (4, 3)]
    assert [c.tolist() for c in db.columns("out")] == [[2, 4], [1, 3]]
    with pytest.raises(NslRuntimeError):
        execute(mod, inputs={"p": [(1, 2, 3)]})


def test_query_and_relation_names():
    db = execute(transitive_closure(), inputs={"edge": CHAIN})
    assert db.relation_names() == ["edge", "path"]
    assert db.query(ir.QuerySpec("path", (lit(1), v("x")))) == [(1, 2), (1, 3), (1, 4)]
    assert db.query(ir.QuerySpec("path", (v("x"), v("x")))) == []


def test_neural_knn_and_unknown_provenance_are_not_available():
    from nsl.lang.diagnostics import Span
    span = Span("f.nsl", 3, 1, 3, 9)
    mod = one_rule(["int"], [join("p", "a"), ir.Neural("digit", ("a",), "d", origin=span),
                             insert("out", "a")], {"p": ["int"]})
    with pytest.raises(NotAvailable) as err:
        execute(mod)
    assert err.value.origin == span and "digit" in err.value.message
    knn = ir.Knn("memory", "a", lit(3), "doc", "s")
    with pytest.raises(NotAvailable):
        execute(one_rule(["int"], [join("p", "a"), knn, insert("out", "a")], {"p": ["int"]}))
    with pytest.raises(NotAvailable):
        execute(ir.Module((), (), (), (), provenance=("exact", ())))


def test_float_and_bool_columns_round_trip():
    mod = one_rule(["float", "bool"], [join("p", v("x", "float"), v("b", "bool")),
                                       insert("out", v("x", "float"), v("b", "bool"))],
                   {"p": ["float", "bool"]})
    assert rows_of(mod, "out", {"p": [(0.5, True), (-0.0, False), (0.0, False), (1e300, True)]}) == [
        (0.0, False), (0.5, True), (1e300, True)]


def test_growing_values_widen_the_bitmap_and_fall_back_to_sorted_runs():
    from ir_builders import bind, binop, filt
    for step, limit in [(1, 300), (10**9, 3 * 10**10)]:
        mod = module([rel("n", "int")], [stratum("n", init=[rule(insert("n", lit(0)))], loop=[
            rule(join("n", "x", delta=True), filt(binop("lt", v("x"), lit(limit))),
                 bind("y", binop("add", v("x"), lit(step))), insert("n", "y"))])])
        assert rows_of(mod, "n") == [(i,) for i in range(0, limit + 1, step)]
