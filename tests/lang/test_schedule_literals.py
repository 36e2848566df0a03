"""What a literal needs and binds (``nsl.lang.schedule``), for the forms the lowering once
failed on after the checks accepted them: ``b = exists(...)``, an aggregate compared with an
aggregate, an atom whose expression argument is bound only after it. Safety asks the same
function, without the order."""
from __future__ import annotations

from nsl.lang.check.safety import bound_variables
from nsl.lang.check.symbols import collect
from nsl.lang.diagnostics import SourceMap
from nsl.lang.loader import load_program
from nsl.lang.schedule import deferrable, needs_and_binds, schedule, split_atom
from nsl.lang.walk import expr_vars

FACTS = "q(1, 2). p(1).\n"


def _rule(text: str):
    program = load_program(FACTS + text, "<input>", SourceMap())
    table = collect(program, [])
    rule = program.statements[-1]
    return rule.body.alternatives[0], {v.name for a in rule.head.args for v in expr_vars(a)}, table


def test_exists_bound_to_a_variable_binds_it():
    conj, head, table = _rule("r(x, b) :- p(x), b = exists(y: q(x, y)).\n")
    assert needs_and_binds(conj[1], conj, head, set(), table) == (["x"], ["b"])
    assert needs_and_binds(conj[1], conj, head, {"x", "b"}, table) == (["x", "b"], [])


def test_two_compared_aggregates_need_both_keys_not_their_listed_variables():
    conj, head, table = _rule("r(x) :- p(x), count(y: q(y, x)) = count(z: q(x, z)).\n")
    assert needs_and_binds(conj[1], conj, head, set(), table) == (["x"], [])
    assert schedule(conj, head, (), table)[2] == []


def test_an_atom_runs_split_when_nothing_else_can():
    conj, head, table = _rule("r(e) :- q(c + 1, d), e = c, c = d.\n")
    assert deferrable(conj[0], table)
    order, bound, stuck = schedule(conj, head, (), table)
    assert stuck == [] and bound >= {"c", "d", "e"}
    scan = order[0]
    assert scan.rel == "q" and [type(a).__name__ for a in scan.args] == ["Var", "Var"]
    assert order[1:3] == [conj[2], conj[1]]  # c = d, then e = c; the check after c is bound
    names = iter(["t"])
    atom, checks = split_atom(conj[0], lambda: next(names))
    assert atom.args[0].name == "t" and checks[0].left.name == "t" and checks[0].right is conj[0].args[0]


def test_an_atom_whose_expression_arguments_are_bound_first_joins_on_them():
    conj, head, table = _rule("r(x) :- p(x), q(x + 1, y).\n")
    order, _, _ = schedule(conj, head, (), table)
    assert order == list(conj)  # not split: the join uses x + 1 as a key


def test_safety_binds_what_the_schedule_binds_ignoring_order():
    # a key only the aggregate's own result binds: bound for safety, stuck for the schedule
    conj, head, table = _rule("r(c, d) :- c = count(y: q(y, d)), d = c + 1.\n")
    assert bound_variables(conj, table, frozenset()) == {"c", "d"}
    assert schedule(conj, head, (), table)[1] == set()
    conj, head, table = _rule("r(x) :- q(x, y + 1).\n")
    assert bound_variables(conj, table, frozenset()) == {"x"}
    # `==` compares; a value nested in arithmetic is safety's own error, not an unbound head
    conj, head, table = _rule("r(x) :- p(y), x == y.\n")
    assert bound_variables(conj, table, frozenset()) == {"y"}
    conj, head, table = _rule("r(x) :- x = count(y: p(y)) + 1.\n")
    assert bound_variables(conj, table, frozenset()) == {"x"}
