"""The parser, construct by construct: each test is one sentence of the language
reference and the tree it must build. Spans are not compared (AST equality
ignores them); syntax errors are checked as the user sees them, caret included.
"""
from __future__ import annotations

import pytest

from nsl.lang import ast as A
from nsl.lang.diagnostics import CompileError, SourceMap
from nsl.lang.parser import parse

x, y, a, b, n, m, p, v, q, i = (A.Var(s) for s in "x y a b n m p v q i".split())


def stmt(text: str):
    """The single statement ``text`` parses to."""
    (only,) = parse(text).statements
    return only


def body(text: str) -> A.Body:
    """The body of ``h :- <text>.``."""
    return stmt(f"h :- {text}.").body


def value(text: str):
    """The expression ``text``, read as the right side of ``x = <text>``."""
    (conj,) = body(f"x = {text}").alternatives
    return conj[0].right


def formula(text: str):
    return stmt(f"constraint c: {text}.").formula


def atom(rel, *args):
    return A.Atom(rel, tuple(args))


def c(value):
    return A.Const(value)


def one(*literals) -> A.Body:
    return A.Body((tuple(literals),))


def syntax_error(text: str) -> str:
    """The diagnostic rendered for ``text``, which must not parse."""
    sources = SourceMap()
    with pytest.raises(CompileError) as info:
        parse(text, "t.nsl", sources)
    return info.value.render()


# ---- terms ----------------------------------------------------------------------
def test_underscore_is_an_anonymous_variable():
    assert body("node(a), not edge(a, _)") == one(
        atom("node", a), A.Negation(atom("edge", a, A.Wildcard())))


def test_a_bare_name_is_a_nullary_atom_in_a_literal_and_a_variable_in_a_value():
    assert stmt("alarm :- burglary, not earthquake.") == A.Rule(
        atom("alarm"), one(atom("burglary"), A.Negation(atom("earthquake"))))
    assert body("p(x), y = x") == one(atom("p", x), A.Comparison("=", y, x))


def test_negative_numbers_are_constants_and_other_negations_are_neg():
    assert stmt("p(-3, -2.5, - 4, -x).") == A.Rule(atom("p", c(-3), c(-2.5), c(-4), A.Neg(x)))
    assert value("a - -5") == A.BinOp("-", a, c(-5))
    assert value("-2 ** 2") == A.Neg(A.BinOp("**", c(2), c(2)))  # as in Python: -(2 ** 2)
    assert value("2 ** -1") == A.BinOp("**", c(2), c(-1))


def test_minus_after_a_call_is_subtraction():
    assert value("abs(y) - y") == A.BinOp("-", A.Call("abs", (y,)), y)
    assert value("count(m: e(m)) - 1") == A.BinOp(
        "-", A.Aggregate("count", (m,), one(atom("e", m))), c(1))


def test_arithmetic_precedence_and_associativity():
    assert value("a + b * x ** 2 ** y") == A.BinOp("+", a, A.BinOp(
        "*", b, A.BinOp("**", x, A.BinOp("**", c(2), y))))
    assert value("a - b - x") == A.BinOp("-", A.BinOp("-", a, b), x)
    assert value('"s" ++ a + 1') == A.BinOp("++", c("s"), A.BinOp("+", a, c(1)))
    assert value("q[i][0]") == A.Subscript(A.Subscript(q, i), c(0))


def test_durations_keep_their_text_and_value_in_seconds():
    assert value("2s") == A.Duration(2.0, "2s")
    assert value("500ms") == A.Duration(0.5, "500ms")
    assert value("1.5s") == A.Duration(1.5, "1.5s")


# ---- clauses ----------------------------------------------------------------------
def test_disjunctive_body_is_a_list_of_alternatives():
    assert stmt("either(x) :- p(x) ; q(x), r(x).") == A.Rule(atom("either", x), A.Body((
        (atom("p", x),), (atom("q", x), atom("r", x)))))


def test_probabilistic_fact_and_rule():
    assert stmt("0.9 :: edge(3, 4).") == A.Rule(atom("edge", c(3), c(4)), None, 0.9)
    assert stmt("0.3 :: stress(x) :- person(x).") == A.Rule(
        atom("stress", x), one(atom("person", x)), 0.3)


def test_annotated_disjunction():
    assert stmt('0.2 :: coin("h"); 0.8 :: coin("t").') == A.AnnotatedDisjunction((
        (0.2, atom("coin", c("h"))), (0.8, atom("coin", c("t")))))


def test_chained_comparison_is_the_and_of_two_comparisons():
    bound = A.Subscript(q, i)
    assert body("0 <= q[i] < 8") == one(A.Connective(
        "and", A.Comparison("<=", c(0), bound), A.Comparison("<", bound, c(8))))


# ---- aggregates ---------------------------------------------------------------------
def test_aggregate_bound_by_equality():
    assert body("node(n), d = count(m: edge(n, m))") == one(atom("node", n), A.Comparison(
        "=", A.Var("d"), A.Aggregate("count", (m,), one(atom("edge", n, m)))))


def test_argmax_takes_its_objective_after_the_body():
    assert value("argmax(p: score(p, v), v)") == A.Aggregate(
        "argmax", (p,), one(atom("score", p, v)), objective=v)
    assert value("argmin(p: score(p, v), v * 2)").objective == A.BinOp("*", v, c(2))


def test_forall_aggregate_with_consequent_and_exists_as_a_literal():
    assert body("forall(m: edge(n, m) -> ok(m)), exists(m: edge(m, n))") == one(
        A.Aggregate("forall", (m,), one(atom("edge", n, m)), consequent=one(atom("ok", m))),
        A.Aggregate("exists", (m,), one(atom("edge", m, n))))


# ---- formulas and provers -------------------------------------------------------------
def test_typed_binders_take_primitive_types():
    assert stmt("prove add_comm: forall x: int, y: int: x + y == y + x.") == A.ProveStmt(
        "add_comm", A.Quantified("forall", (A.Binder("x", A.TypeExpr("int")), A.Binder("y", A.TypeExpr("int"))),
                                 A.Comparison("==", A.BinOp("+", x, y), A.BinOp("+", y, x))))


def test_untyped_binders_leave_the_colon_to_the_body():
    assert formula("forall a, b: friend(a, b) -> friend(b, a)") == A.Quantified(
        "forall", (A.Binder("a"), A.Binder("b")),
        A.Connective("->", atom("friend", a, b), atom("friend", b, a)))


def test_in_binders_range_over_a_declared_type():
    assert formula("exists x in Digit: p(x)") == A.Quantified(
        "exists", (A.Binder("x", domain="Digit"),), atom("p", x))


def test_connectives_bind_and_over_or_over_arrows():
    assert formula("not a and b or c -> d <-> e") == A.Connective("->", A.Connective(
        "or", A.Connective("and", A.Not(atom("a")), atom("b")), atom("c")),
        A.Connective("<->", atom("d"), atom("e")))


def test_soft_weighted_constraint():
    assert stmt("soft constraint[0.5] smokers: forall x: smokes(x) -> cancer(x).") == A.ConstraintStmt(
        "smokers", A.Quantified("forall", (A.Binder("x"),),
                                A.Connective("->", atom("smokes", x), atom("cancer", x))), True, 0.5)


def test_prove_with_a_configured_prover_and_prove_consistent():
    assert stmt("prove using z3(timeout = 2s) sq: forall x: int: x * x >= 0.").prover == A.ProverSpec(
        "z3", (A.KwArg("timeout", A.Duration(2.0, "2s")),))
    assert stmt("prove consistent.") == A.ProveStmt("consistent", None)


def test_solve_keeps_constraints_and_objectives_apart():
    assert stmt("solve s(x: int) { minimize x, x > 0 }") == A.SolveStmt(
        "s", (A.Param("x", A.TypeExpr("int")),), (A.Comparison(">", x, c(0)),),
        (A.Objective("minimize", x),))


# ---- declarations -------------------------------------------------------------------
def test_nullary_declaration_has_no_parameter_list():
    assert stmt("rel done") == A.RelDecl("done", None)
    for source in ("rel done()", "input done()", "done().", "q :- done()."):
        with pytest.raises(CompileError, match="a nullary relation takes no parentheses"):
            parse(source)


def test_a_reserved_word_cannot_name_a_relation():
    for source in ("not(1).", "not :- p.", "in(1, 2).", "q(x) :- p(x).\nand(1)."):
        with pytest.raises(CompileError, match="is a reserved word and cannot name a relation"):
            parse(source)


def test_type_declarations_with_signs():
    assert stmt("type T = -3..3").definition == A.RangeType(-3, 3)
    assert stmt("type E = {-1, 2.5, \"x\", true}").definition == A.EnumType((-1, 2.5, "x", True))
    assert stmt("rel r(a: tensor[-1, 8])").params[0].type == A.TypeExpr("tensor", (-1, 8))


def test_neural_and_train_settings_take_calls_to_any_name():
    decl = stmt("neural digit(x: tensor[1, 8, 8]) -> Digit = cnn(channels = [16, 32])")
    assert decl.builder == A.Builder("stdlib", "cnn", (A.KwArg("channels", A.ListExpr((c(16), c(32)))),))
    train = stmt("train digit on sum2 { provenance = diff_topk_proofs(k = 3), loss = bce }")
    assert train.settings == (
        A.KwArg("provenance", A.Call("diff_topk_proofs", (A.KwArg("k", c(3)),))),
        A.KwArg("loss", A.Var("bce")))


# ---- syntax errors ------------------------------------------------------------------
def test_missing_dot_between_statements_points_at_the_next_one():
    rendered = syntax_error("edge(1, 2)\nedge(2, 3).")
    head, line, caret = rendered.split("\n")
    assert head.startswith("t.nsl:2:1: error: unexpected 'edge'; expected one of '.',")
    assert head.endswith("(is a '.' missing at the end of the previous statement?)")
    assert (line, caret) == ("edge(2, 3).", "^^^^")


def test_truncated_program_points_at_its_end():
    head, line, caret = syntax_error("edge(1, 2)").split("\n")
    assert head.startswith("t.nsl:1:10: error: the program ended unexpectedly; expected")
    assert head.endswith("(is a '.' missing at the end of a statement?)")
    assert (line, caret) == ("edge(1, 2)", "         ^")


def test_disjunction_inside_parentheses_says_where_it_may_stand():
    head, line, caret = syntax_error("s(x) :- e(x), (f(x) ; g(x)).").split("\n")
    assert head == ("t.nsl:1:21: error: unexpected ';'; expected ')' (`;` joins alternatives only at "
                    "the top level of a rule or aggregate body, not inside parentheses: write "
                    "`h(x) :- a(x), b(x) ; a(x), c(x).` or one rule per alternative)")
    assert caret == " " * 20 + "^"
    rule = parse("h(x) :- a(x), b(x) ; a(x), c(x).", "t.nsl", SourceMap()).statements[0]
    assert len(rule.body.alternatives) == 2  # the suggested form parses


def test_unexpected_character():
    head, line, caret = syntax_error("p(x) :- q(x) & r(x).").split("\n")
    assert head.startswith("t.nsl:1:14: error: unexpected character '&'")
    assert caret == "             ^"


def test_unterminated_string():
    assert syntax_error('p("abc).') == 't.nsl:1:3: error: unterminated string\np("abc).\n  ^'


def test_missing_colon_in_a_declaration():
    assert syntax_error("rel r(a int)") == (
        "t.nsl:1:9: error: unexpected 'int'; expected ':'\nrel r(a int)\n        ^^^")


def test_quantifier_without_colon():
    assert syntax_error("constraint c: forall x p(x).") == (
        "t.nsl:1:24: error: unexpected 'p'; expected one of ',', ':', 'in'\n"
        "constraint c: forall x p(x).\n"
        "                       ^")


def test_underscore_alone_is_not_a_literal():
    assert syntax_error("p :- _.") == (
        "t.nsl:1:6: error: `_` cannot stand alone as a literal\np :- _.\n     ^")


def test_value_aggregate_as_a_literal_says_how_to_bind_it():
    assert syntax_error("p :- count(x: q(x)).") == (
        "t.nsl:1:6: error: aggregate 'count' gives a value; bind it, e.g. `n = count(...)`\n"
        "p :- count(x: q(x)).\n"
        "     ^^^^^^^^^^^^^^")


def test_import_may_end_with_a_dot():
    from nsl.lang.parser import parse
    program = parse("import std.graph.\nquery p.\nrel p\n")
    assert [type(s).__name__ for s in program.statements] == ["Import", "Query", "RelDecl"]
    assert program.statements[0].path == ("std", "graph")


def test_prove_may_be_named_consistent():
    from nsl.lang.parser import parse
    named, check = parse("prove consistent: forall x: int: x == x.\nprove consistent.\n").statements
    assert named.name == "consistent" and named.formula is not None
    assert check.name == "consistent" and check.formula is None


def test_argmax_objective_may_call_a_function():
    from nsl.lang.parser import parse
    rule = parse("best(x) :- x = argmax(p: s(p, v), abs(v)).").statements[0]
    agg = rule.body.alternatives[0][0].right
    assert agg.objective == A.Call("abs", (A.Var("v"),))


def test_every_statement_that_cannot_be_built_is_reported_not_only_the_first():
    # a bad statement is skipped, the next one is still built (and found bad too);
    # the good statements in between do not hide anything
    source = ("p(1).\n"
              "a(x) :- p(x), count(y: p(y)).\n"
              "q(x) :- p(x).\n"
              "_ .\n"
              "b(x) :- x = argmax(y: p(y)).\n")
    try:
        parse(source)
    except CompileError as exc:
        positions = [(d.span.line, d.span.col) for d in exc.diagnostics]
        text = exc.render()
    else:
        raise AssertionError("expected build errors")
    assert positions == [(2, 15), (4, 1), (5, 13)], text
    assert "aggregate 'count' gives a value" in text and "argmax needs an objective" in text


# ---- long flat expressions ------------------------------------------------------------
def test_a_long_flat_expression_compiles_checks_formats_and_runs():
    from nsl.lang.formatter import format_source
    from tests.helpers import expect_result
    source = "o(1).\nq(x) :- o(y), x = y" + " + 1" * 3000 + ".\ns(x) :- o(y), x = " + "-" * 1001 + "y.\n"
    expect_result(source, {"q": [(3001,)], "s": [(-1,)]})
    from nsl.lang.ast_dump import dump
    once = format_source(source)  # dumps, not `==`: a dataclass's __eq__ recurses per level
    assert dump(parse(once), with_spans=False) == dump(parse(format_source(once)), with_spans=False)


@pytest.mark.parametrize("frame, levels_above", [
    ("o(1).\nq(x) :- o(y), x = {}.\n", 1),                # `=`
    ("o(1).\nq(c) :- c = count(z: o(y), z = {}).\n", 3),  # `=`, count, `=`
    ("constraint c: forall y: o(y) -> {} > 0.\n", 3),      # forall, `->`, `>`
])
def test_the_nesting_limit_counts_expression_levels_only(monkeypatch, frame, levels_above):
    import nsl.lang.parser as parser
    monkeypatch.setattr(parser, "MAX_NESTING", 40)
    # `y + 1 + ... + 1` with n ones nests n binary operations under the expression's
    # own levels above it; the statement, body and literal around it do not count
    ones = 40 - levels_above
    parse(frame.format("y" + " + 1" * ones), "t.nsl", SourceMap())
    text = syntax_error(frame.format("y" + " + 1" * (ones + 1)))
    assert "error: this expression nests more than 40 levels deep" in text


def test_an_expression_past_the_nesting_limit_is_a_positioned_error():
    from nsl.lang.parser import MAX_NESTING
    from tests.helpers import expect_error
    source = "o(1).\nq(x) :- o(y), x = y" + " + 1" * (MAX_NESTING + 50) + ".\n"
    text = expect_error(source, "<input>:2:", f"error: this expression nests more than {MAX_NESTING} levels")
    assert "RecursionError" not in text
