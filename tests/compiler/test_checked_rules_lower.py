"""What the checks accept lowers and runs: rule bodies mixing atoms with expression
arguments, `=` bindings, comparisons, aggregates (count/sum/min/max/exists/forall) and
negation. The invariant: if ``nsl.lang``'s checks report no error, the lowering succeeds
and running on a few facts raises nothing."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsl.compiler.lower import lower
from nsl.lang.check import check_program
from nsl.lang.diagnostics import CompileError, SourceMap
from nsl.lang.loader import load_program
from tests.helpers import expect_error, expect_result

FACTS = "q(1, 2). q(2, 3). q(3, 3). p(1). p(2).\n"


def _accepted_program_runs(text: str) -> None:
    sources = SourceMap()
    try:
        checked = check_program(load_program(text, "<input>", sources), sources)
    except CompileError:
        return  # a user error, reported as one
    import nsl
    from nsl.compiler.driver import compile_source
    lower(checked)  # raises CompileError (a test failure) when no order runs the body
    compile_source(text, verify=True)  # the IR verifies after every pass
    nsl.compile(text).run()


# -- table: rules a colleague found passing the checks, then failing in the lowering --------
@pytest.mark.parametrize("body", [
    "q(y, _), x = exists(z: q(z, _))",
    "p(x), count(y: q(y, _)) = count(y: p(y))",
    "q(c + 1, d), x = c, c = d",
    "q(x, x + 1)",
    "p(x), b = forall(y: q(x, y) -> p(y)), b = false",
    "p(x), exists(y: q(x, y)) = exists(y: q(y, x))",
    "p(x), not exists(y: q(x, y)) , max(y: q(y, _)) >= x",
    "p(x), n = count(y: q(y + 1, x)), n > 0",
    "q(x, y), p(z), argmin(x, w: x = z, w = z, z) != x",  # the checks report it now
])
def test_accepted_rules_lower_and_run(body):
    _accepted_program_runs(FACTS + f"r(x) :- {body}.\n")


def test_exists_bound_to_a_variable_is_its_truth_value():
    expect_result(FACTS + "r(x, b) :- p(x), b = exists(y: q(x, y), y > 2).\n",
                  {"r": [(1, False), (2, True)]})
    expect_result(FACTS + "r(x, b) :- p(x), b = forall(y: q(x, y) -> p(y)).\n",
                  {"r": [(1, True), (2, False)]})
    expect_result(FACTS + "r(x) :- p(x), exists(y: q(x, y)) = exists(y: q(y, x)).\n",
                  {"r": [(2,)]})


def test_two_aggregates_compared():
    expect_result(FACTS + "r(x) :- p(x), count(y: q(x, y)) = count(y: q(y, x)).\n", {"r": [(2,)]})
    expect_result(FACTS + "r(x) :- p(x), count(y: q(y, _)) < sum(y: p(y)).\n", {"r": []})


def test_an_expression_argument_is_checked_once_its_variables_are_bound():
    # Soufflé's reading: scan q, bind d, then c = d, then test the first column against c + 1
    expect_result("q(2, 1). q(3, 2). q(5, 1).\nr(e) :- q(c + 1, d), e = c, c = d.\n",
                  {"r": [(1,), (2,)]})
    expect_result("q(1, 2). q(2, 2).\nr(x) :- q(x, x + 1).\n", {"r": [(1,)]})


def test_an_aggregates_listed_variable_is_its_own_even_where_the_rule_binds_the_name():
    # the rule's `z` (from q) is not the argmax's `z`: its body must bind it (it did not, and
    # the lowering stopped at `not p(z)`)
    expect_error(FACTS + "r(x) :- p(y), argmax(z: not p(z), y > 0, z) < 3, q(z, x).\n",
                 "<input>:2:22: error: aggregate variable 'z' is not bound by its body")


def test_an_expression_argument_whose_variables_nothing_binds_is_an_error():
    expect_error(FACTS + "r(x) :- q(x, y + 1).\n",
                 "variable 'y' in an argument expression is not bound")


# -- property: random bodies ---------------------------------------------------------------
VARS = ("x", "y", "z")
TERMS = (*VARS, "_", "1", "x + 1", "y - 1")
EXPRS = (*VARS, "1", "x + y", "z * 2")
AGGS = ("count(u: q(u, {v}))", "sum(u: q({v}, u))", "min(u: q(u, {v}))", "max(u: q({v}, u))",
        "exists(u: q(u, {v}))", "forall(u: q({v}, u) -> p(u))", "count(u: p(u))")


@st.composite
def literal(draw):
    kind = draw(st.sampled_from(["q", "p", "not", "eq", "cmp", "bind_agg", "agg", "agg_cmp",
                                 "agg_agg", "not_agg"]))
    v = lambda: draw(st.sampled_from(VARS))
    t = lambda: draw(st.sampled_from(TERMS))
    e = lambda: draw(st.sampled_from(EXPRS))
    agg = lambda: draw(st.sampled_from(AGGS)).format(v=draw(st.sampled_from((*VARS, "_", "1"))))
    if kind == "q":
        return f"q({t()}, {t()})"
    if kind == "p":
        return f"p({t()})"
    if kind == "not":
        return f"not q({v()}, {draw(st.sampled_from((*VARS, '_')))})"
    if kind == "eq":
        return f"{v()} {draw(st.sampled_from(['=', '==']))} {e()}"
    if kind == "cmp":
        return f"{e()} {draw(st.sampled_from(['<', '!=', '>=']))} {e()}"
    if kind == "bind_agg":
        return f"{v()} = {agg()}"
    if kind == "agg":
        return draw(st.sampled_from(AGGS[4:6])).format(v=v())
    if kind == "agg_cmp":
        return f"{agg()} {draw(st.sampled_from(['<', '=', '!=']))} {e()}"
    if kind == "agg_agg":
        return f"{agg()} {draw(st.sampled_from(['=', '<']))} {agg()}"
    return f"not {draw(st.sampled_from(AGGS[4:6])).format(v=v())}"


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(literal(), min_size=1, max_size=4), st.sampled_from(VARS))
def test_random_bodies_accepted_by_the_checks_lower_and_run(body, head):
    _accepted_program_runs(FACTS + f"r({head}) :- {', '.join(body)}.\n")


def test_exists_bound_to_a_variable_lowers_to_two_verified_alternatives():
    from nsl.compiler import ir
    from nsl.compiler.driver import compile_source
    from nsl.compiler.ir_parser import parse_module
    from nsl.compiler.ir_printer import print_module
    module = compile_source(FACTS + "r(x, b) :- p(x), b = exists(y: q(x, y)).\n", "<input>",
                            passes=(), verify=True).module
    rules = module.strata[-1].init
    assert [r.name for r in rules] == ["r#0.0", "r#0.1"]
    for rule, (op, value) in zip(rules, (("exists", True), ("not_exists", False))):
        assert [o.op for o in rule.ops if isinstance(o, ir.Aggregate)] == [op]
        maps = [o for o in rule.ops if isinstance(o, ir.Map)]
        assert [(m.var, m.expr) for m in maps] == [("b", ir.Lit(value, "bool"))]
    assert parse_module(print_module(module)) == module


# Nested: aggregates (argmin/argmax/forall too) whose bodies hold aggregates, negation and
# expression arguments, after atoms that bind the rule's variables (so more bodies pass).
NESTED_TERMS = (*VARS, "w", "_", "1", "x + 1", "-x", "w * 2")


@st.composite
def nested_body(draw, depth=0):
    return ", ".join(draw(nested_literal(depth)) for _ in range(draw(st.integers(1, 3 - depth))))


@st.composite
def nested_aggregate(draw, depth):
    op = draw(st.sampled_from(["count", "sum", "min", "max", "exists", "forall", "argmax", "argmin"]))
    inner = draw(nested_body(depth + 1)) if depth < 1 else \
        f"q({draw(st.sampled_from(NESTED_TERMS))}, {draw(st.sampled_from(NESTED_TERMS))})"
    listed = ", ".join(draw(st.lists(st.sampled_from((*VARS, "u")), min_size=1, max_size=2, unique=True)))
    if op == "forall":
        return f"forall({listed}: {inner} -> p({draw(st.sampled_from(VARS))}))"
    if op in ("argmax", "argmin"):
        return f"{op}({listed}: {inner}, {draw(st.sampled_from(EXPRS))})"
    return f"{op}({listed}: {inner})"


@st.composite
def nested_literal(draw, depth):
    kind = draw(st.sampled_from(["q", "not", "eq", "bind", "agg", "cmp", "agg_agg", "not_agg"]))
    term = lambda: draw(st.sampled_from(NESTED_TERMS))
    if kind == "q":
        return f"q({term()}, {term()})"
    if kind == "not":
        return f"not q({term()}, {term()})"
    if kind == "eq":
        return f"{draw(st.sampled_from(VARS))} = {draw(st.sampled_from(EXPRS))}"
    if kind == "bind":
        return f"{draw(st.sampled_from(VARS))} = {draw(nested_aggregate(depth))}"
    if kind == "agg":
        return draw(nested_aggregate(depth))
    if kind == "cmp":
        return f"{draw(nested_aggregate(depth))} != {draw(st.sampled_from(EXPRS))}"
    if kind == "agg_agg":
        return f"{draw(nested_aggregate(depth))} = {draw(nested_aggregate(depth))}"
    return f"not {draw(nested_aggregate(depth))}"


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(nested_body(), st.sampled_from(("x", "x, y", "x + 1")))
def test_random_nested_bodies_accepted_by_the_checks_lower_and_run(body, head):
    _accepted_program_runs(FACTS + f"r({head}) :- q(x, y), p(z), q(w, _), {body}.\n")


def test_the_catch_all_names_what_a_stuck_literal_waits_for():
    # No program the other checks pass reaches it (each aggregate cycle is reported at an
    # aggregate on it); it keeps "the checks pass => the lowering orders the body" by construction.
    from nsl.lang.check.aggregate_order import _report_unordered
    from nsl.lang.check.safety import bound_variables
    from nsl.lang.check.symbols import collect
    from nsl.lang.schedule import schedule
    program = load_program(FACTS + "r(c, d) :- c = count(y: q(y, d)), d = c + 1.\n", "<input>",
                           SourceMap())
    table = collect(program, [])
    conj = program.statements[-1].body.alternatives[0]
    _, bound, stuck = schedule(conj, {"c", "d"}, (), table)
    diags = []
    _report_unordered(stuck, conj, {"c", "d"}, bound, bound_variables(conj, table, frozenset()),
                      table, diags)
    assert [d.message for d in diags] == [
        "no order of this rule's literals runs this one: it needs 'd' bound first, and it is bound "
        "only by literals that wait for an aggregate that waits for this one"]
    assert (diags[0].span.line, diags[0].span.col) == (2, 12)
