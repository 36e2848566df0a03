"""The order a rule body runs in (``nsl.lang.schedule``): one policy, which the lowering emits
and the ``aggregate_order`` check reasons with."""
from __future__ import annotations

from nsl.compiler import ir
from nsl.compiler.driver import compile_source
from nsl.lang.check.symbols import collect
from nsl.lang.diagnostics import SourceMap
from nsl.lang.loader import load_program
from nsl.lang.schedule import needs_and_binds, schedule
from nsl.lang.walk import expr_vars

NEURAL = ("type Digit = 0..9\ninput img(id: int, px: tensor[4])\n"
          "neural digit(x: tensor[4]) -> Digit = mlp(hidden = [4])\nq(1).\n")


def _rule(text: str):
    """The last rule of ``text``: its one conjunction, head variables and symbol table."""
    program = load_program(text, "<input>", SourceMap())
    table = collect(program, [])
    rule = program.statements[-1]
    return rule.body.alternatives[0], {v.name for a in rule.head.args for v in expr_vars(a)}, table


def _order(text: str, outer=()):
    conj, head, table = _rule(text)
    order, bound, stuck = schedule(conj, head, outer, table)
    return [conj.index(lit) for lit in order], bound, [conj.index(lit) for lit in stuck]


def test_the_first_literal_that_can_run_runs_next_in_body_order():
    # no kind goes first: the comparison waits for `num`, then runs before the second `num`
    assert _order("num(1, 5).\nbig(x) :- v >= 10, num(x, v), v != 12, num(v, _).\n") == (
        [1, 0, 2, 3], {"x", "v"}, [])
    assert _order("num(1, 5).\ns(a, s) :- s = x + 1, num(a, x).\n")[0] == [1, 0]


def test_an_atom_needs_its_expression_arguments_and_binds_its_variables():
    conj, head, table = _rule("num(1, 5).\nshifted(x) :- num(x + 1, y), num(x, _).\n")
    assert needs_and_binds(conj[0], conj, head, set(), table) == (["x"], ["y"])
    assert _order("num(1, 5).\nshifted(x) :- num(x + 1, y), num(x, _).\n")[0] == [1, 0]


def test_equality_binds_the_unbound_side_once_the_other_is_bound():
    conj, head, table = _rule("num(1, 5).\np(x, y) :- x + 1 = y, num(x, _).\n")
    assert needs_and_binds(conj[0], conj, head, set(), table) == (["x"], ["y"])
    assert needs_and_binds(conj[0], conj, head, {"x", "y"}, table) == (["x", "y"], [])
    conj, head, table = _rule("num(1, 5).\np(x) :- num(x, _), x == y + 1.\n")
    assert needs_and_binds(conj[1], conj, head, {"x"}, table) == (["x", "y"], [])  # `==` only compares


def test_an_aggregate_runs_once_its_keys_are_bound():
    text = "q(1, 2).\np(x, c) :- c = count(y: q(y, x)), q(x, _).\n"
    conj, head, table = _rule(text)
    assert needs_and_binds(conj[0], conj, head, set(), table) == (["x"], ["c"])
    assert _order(text) == ([1, 0], {"x", "c"}, [])
    # a comparison with an aggregate that binds nothing needs its other side too
    conj, head, table = _rule("q(1, 2).\np(x) :- q(x, _), x < count(y: q(y, z)), z = x.\n")
    assert needs_and_binds(conj[1], conj, head, {"x"}, table) == (["z", "x"], [])


def test_an_aggregate_that_needs_its_own_result_never_runs():
    assert _order("q(1, 2).\np(c, d) :- c = count(y: q(y, d)), d = count(y: q(y, c)).\n") == (
        [], set(), [0, 1])


def test_knn_and_neural_atoms_need_their_inputs():
    conj, head, table = _rule(NEURAL + "r(i, d) :- digit(x, d), img(i, x).\n")
    assert needs_and_binds(conj[0], conj, head, set(), table) == (["x"], ["d"])
    assert _order(NEURAL + "r(i, d) :- digit(x, d), img(i, x).\n")[0] == [1, 0]


def test_a_neural_output_compared_with_an_expression_waits_for_its_variables():
    # The check always waited for `d`; the lowering ran the module as soon as `x` was bound
    # and then failed on the unbound `d` (KeyError). Both now take the schedule's order.
    text = NEURAL + "r(i) :- img(i, x), digit(x, d + 1), q(d).\n"
    assert _order(text)[0] == [0, 2, 1]
    rule = compile_source(text, "<input>", passes=()).module.strata[0].init[0]
    kinds = [type(op).__name__ for op in rule.ops]
    assert kinds == ["Join", "Join", "Neural", "Filter", "Insert"]
    assert [op.rel for op in rule.ops if isinstance(op, ir.Join)] == ["img", "q"]


def test_the_lowering_emits_the_schedules_order():
    text = ("num(1, 5). num(2, 15).\n"
            "p(a, s, c) :- s = x + y, c = count(z: num(z, x)), num(a, x), x < s, num(a + 1, y).\n")
    assert _order(text)[0] == [2, 1, 4, 0, 3]
    rule = compile_source(text, "<input>", passes=()).module.strata[0].init[0]
    emitted = [(type(op).__name__, getattr(op, "rel", None) or getattr(op, "var", None) or
                getattr(op, "results", None)) for op in rule.ops]
    assert emitted == [("Join", "num"), ("Aggregate", ("c",)), ("Map", "_t0"), ("Join", "num"),
                       ("Map", "s"), ("Filter", None), ("Insert", "p")]
