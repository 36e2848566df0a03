"""The library interface, as a program embedding nslc uses it."""
from __future__ import annotations

import pytest
import torch

import nsl
from nsl.lang.diagnostics import UsageError
from tests.helpers import expect_error, expect_result

REACH = """input edge(src: int, dst: int)
reach(a, b) :- edge(a, b).
reach(a, c) :- reach(a, b), edge(b, c).
"""


def test_run_with_python_facts():
    result = nsl.compile(REACH).run(facts={"edge": [(1, 2), (2, 3)]})
    assert result["reach"] == [(1, 2), (1, 3), (2, 3)]
    assert result.to_json() == {"relations": {"reach": [{"args": [1, 2]}, {"args": [1, 3]}, {"args": [2, 3]}]},
                                "verdicts": []}


def test_result_tensors_are_columns():
    result = nsl.compile(REACH).run(facts={"edge": [(1, 2), (2, 3)]})
    src, dst = result.tensors("reach")
    assert isinstance(src, torch.Tensor) and src.dtype == torch.int64
    assert sorted(zip(src.tolist(), dst.tolist())) == [(1, 2), (1, 3), (2, 3)]


def test_facts_from_a_file(tmp_path):
    path = tmp_path / "edges.jsonl"
    path.write_text("[1, 2]\n[2, 3]\n[3, 1]\n")
    result = nsl.compile(REACH).run(facts={"edge": str(path)})
    assert len(result["reach"]) == 9


def test_program_is_reusable_with_different_facts():
    program = nsl.compile(REACH)
    assert program.run(facts={"edge": [(1, 2)]})["reach"] == [(1, 2)]
    assert program.run(facts={"edge": [(5, 6), (6, 7)]})["reach"] == [(5, 6), (5, 7), (6, 7)]


def test_compile_from_a_path(tmp_path):
    path = tmp_path / "p.nsl"
    path.write_text("n(1). n(2).\nm(x) :- n(x), x > 1.\n")
    assert nsl.compile(str(path)).run()["m"] == [(2,)]


def test_compile_error_carries_every_diagnostic():
    with pytest.raises(nsl.CompileError) as info:
        nsl.compile("p(x) :- q(x).\nr(x, y) :- p(x).\n")
    messages = [d.message for d in info.value.diagnostics]
    assert messages == ["unknown relation 'q'",
                        "unsafe rule: head variable 'y' is not bound by a positive atom in the body"]
    assert info.value.diagnostics[0].span.line == 1 and info.value.diagnostics[1].span.line == 2


def test_facts_for_a_derived_relation_are_refused():
    with pytest.raises(UsageError, match="derived by rules"):
        nsl.compile(REACH).run(facts={"reach": [(1, 2)]})


def test_extra_queries_survive_dead_relation_elimination():
    program = nsl.compile("e(1, 2).\na(x) :- e(x, _).\nb(y) :- e(_, y).\nquery a(x).\n")
    assert "b" not in [r.name for r in program.ir.relations]
    result = program.run(queries=["b"])
    assert result["a"] == [(1,)] and result["b"] == [(2,)]


def test_spec_examples_read_like_specifications():
    expect_result("""num(1, 4). num(2, 11). num(3, 12).
                     big(x) :- num(x, v), v >= 10, v != 12.
                     halves(x, h) :- num(x, v), h = v / 2, r = v % 2, r == 1.""",
                  {"big": [(2,)], "halves": [(2, 5)]})
    expect_result("""p(-7, 2).
                     q(a, b, d, m) :- p(a, b), d = a / b, m = a % b.""", {"q": [(-7, 2, -3, -1)]})
    expect_result("""w("ab"). w("c").
                     joined(s) :- w(a), w(b), a != b, s = a ++ "-" ++ b.""",
                  {"joined": [("ab-c",), ("c-ab",)]})
    expect_result("""burglary. rel earthquake
                     alarm :- burglary, not earthquake.""", {"alarm": [()]})
    expect_result("""p(1). q(2).
                     either(x) :- p(x) ; q(x).""", {"either": [(1,), (2,)]})


def test_aggregates_follow_the_spec():
    expect_result("""node(1). node(2). node(3). edge(1, 2). edge(1, 3). edge(2, 3).
                     degree(n, d) :- node(n), d = count(m: edge(n, m)).
                     has_out(n) :- node(n), exists(m: edge(n, m)).
                     sink(n) :- node(n), not exists(m: edge(n, m)).""",
                  {"degree": [(1, 2), (2, 1), (3, 0)], "has_out": [(1,), (2,)], "sink": [(3,)]})
    expect_result("""price("a", 5). price("b", 5). price("c", 7).
                     distinct_total(s) :- s = sum(v: price(_, v)).
                     per_item_total(s) :- s = sum(v, i: price(i, v)).
                     cheapest(c) :- c = min(v: price(_, v)).
                     priciest(i) :- i = argmax(j: price(j, v), v).
                     cheap_items(i) :- i = argmin(j: price(j, v), v).""",
                  {"distinct_total": [(12,)], "per_item_total": [(17,)], "cheapest": [(5,)],
                   "priciest": [("c",)], "cheap_items": [("a",), ("b",)]})
    expect_result("""rel sale(id: int, v: int)
                     total(s) :- s = count(v, i: sale(i, v)).
                     top(m) :- m = max(v: sale(_, v)).""", {"total": [(0,)], "top": []})


def test_unstratifiable_program_names_the_cycle():
    expect_error("n(1).\na(x) :- n(x), not b(x).\nb(x) :- n(x), not a(x).\n",
                 "not stratifiable", "cycle: a -> b -> a", "<input>:2:19")


def test_aggregates_sharing_a_local_variable_name_are_independent():
    expect_result("""e(1, 7). e(2, 7). f(5). f(6). f(7).
                     r(s, c) :- s = sum(y: e(y, x)), c = count(x: f(x)).""", {"r": [(3, 3)]})


def test_singleton_warnings_respect_aggregate_scopes():
    program = nsl.compile("""e(1, 7). f(5).
r(s, c) :- s = sum(y: e(y, x)), c = count(x: f(x)).
q(n) :- e(n, _), c = count(m: e(n, m)), c > 0.
w(n) :- e(n, _), exists(m: e(n, m), f(k)).
""")
    warned = [(w.span.line, w.message.split("'")[1]) for w in program.warnings]
    assert warned == [(2, "x"), (4, "k")]
