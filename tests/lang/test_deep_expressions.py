"""Deeply nested expressions compile, check, format and run without touching Python's
recursion limit: every pass over an expression walks it with an explicit stack."""
from __future__ import annotations

import json
import math
import sys

import pytest

import nsl
from nsl.compiler import ir
from nsl.compiler.ir_parser import parse_module
from nsl.compiler.ir_printer import print_module
from nsl.compiler.verify import verify_module
from nsl.lang import ast as A
from nsl.lang.ast_dump import dump
from nsl.lang.formatter import format_source
from nsl.lang.parser import MAX_AGGREGATE_NESTING, parse
from tests.helpers import expect_error, nslc

DEPTH = 3000  # three times the default recursion limit


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


# ---- the CLI on a deep program: every command, with the recursion limit untouched ----
def _deep_sum_file(tmp_path, n=DEPTH):
    path = tmp_path / "deep.nsl"
    path.write_text("u(1).\nr(y) :- u(x), y = " + " + ".join(["x"] * n) + ".\nquery r.\n")
    return path


@pytest.mark.parametrize("args", [
    ("compile", "--emit", "ir"), ("compile", "--emit", "ir", "--verify"), ("compile", "--verify"),
    ("compile", "--emit", "ir", "--no-opt"), ("compile", "--emit", "ir", "--print-after", "all"),
    ("compile", "--emit", "ast"), ("compile", "--emit", "llvm"), ("fmt",), ("check",),
    ("run", "--json"),
])
def test_every_cli_command_handles_a_deep_program(tmp_path, args):
    path = _deep_sum_file(tmp_path)
    proc = nslc(*args, str(path), timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Error" not in proc.stderr and "Traceback" not in proc.stderr
    out = proc.stdout
    if args[0] == "run":
        assert json.loads(out)["relations"]["r"] == [{"args": [DEPTH]}]
    elif args[0] == "fmt":
        assert out.count(" + x") == DEPTH - 1 and format_source(out) == out
    elif args[0] == "check":
        assert "ok (2 relations, 1 strata)" in out
    elif "ast" in args:
        assert out.count("BinOp(op='+')") == DEPTH - 1
    elif "llvm" in args:
        assert "no JIT-compiled kernels" in out
    else:  # the IR text: a map of DEPTH - 1 additions that reads back
        assert out.count("(add ") >= DEPTH - 1
        module = parse_module(out)  # one module (--print-after's dumps go to stderr)
        assert print_module(module) == out
        [rule] = module.strata[0].init
        assert sum(isinstance(op, ir.Map) for op in rule.ops) == 1
        if "--print-after" in args:
            assert proc.stderr.count("// ---- after ") >= 2


def test_the_ir_of_a_deep_program_prints_verifies_and_parses_back():
    limit = sys.getrecursionlimit()
    n = 10000
    source = "u(1).\nr(y) :- u(x), y = " + " + ".join(["x"] * n) + ", y > " + " - ".join(["x"] * n) + ".\n"
    module = nsl.compile(source).ir
    assert verify_module(module) == []
    text = print_module(module)
    again = parse_module(text)
    assert again == module and hash(again) == hash(module)
    assert print_module(again) == text
    assert verify_module(again) == []
    assert sys.getrecursionlimit() == limit


def test_the_verifier_reports_a_bad_node_deep_in_an_expression():
    e = ir.Lit("a", "str")
    for _ in range(DEPTH):
        e = ir.BinExpr("add", e, ir.Lit(1, "int"), "int")
    module = ir.Module((ir.Relation("r", ("int",), "idb"),), (), (ir.Stratum(("r",), False, (
        ir.Rule("r#0", (ir.Map("y", e), ir.Insert("r", (ir.ColRef("y", "int"),)))),)),), ("r",))
    assert [d.message for d in verify_module(module)] == [
        "in rule r#0: add needs numbers, not str and int, in (add \"a\":str 1:int):int"]


def test_deep_nodes_compare_hash_and_print_as_the_generated_methods_would():
    def chain(leaf, n=DEPTH):
        e = leaf
        for i in range(n):
            e = ir.BinExpr("add", e, ir.Lit(i, "int"), "int")
        return e
    a, b = chain(ir.ColRef("x", "int")), chain(ir.ColRef("x", "int"))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != chain(ir.ColRef("z", "int")) and a != chain(ir.ColRef("x", "int"), DEPTH - 1)
    assert repr(a).startswith("BinExpr(op='add', left=BinExpr(op='add', left=")
    assert repr(a).count("BinExpr(") == DEPTH
    # shallow nodes: exactly the dataclass-generated values
    small = ir.Insert("r", (ir.BinExpr("add", ir.ColRef("x", "int"), ir.Lit(math.nan, "float"), "float"),))
    assert hash(small) == hash(("r", ((("add", ("x", "int"), (math.nan, "float"), "float")),)))
    assert hash(ir.Wild()) == hash(())
    assert small == parse_module(print_module(_one_rule(small))).strata[0].init[0].ops[-1]
    assert repr(small) == ("Insert(rel='r', exprs=(BinExpr(op='add', left=ColRef(name='x', type='int'), "
                           "right=Lit(value=nan, type='float'), type='float'),))")
    x = A.Var("x")
    deep = x
    for _ in range(DEPTH):
        deep = A.BinOp("+", deep, A.Const(1))
    again = x
    for _ in range(DEPTH):
        again = A.BinOp("+", again, A.Const(1))
    assert deep == again and hash(deep) == hash(again) and deep != x
    assert hash(A.Var("x")) == hash(("x",)) and repr(A.Var("x")) == "Var(name='x')"


def _one_rule(insert):
    return ir.Module((ir.Relation("r", ("float",), "idb"),), (),
                     (ir.Stratum(("r",), False, (ir.Rule("r#0", (
                         ir.Join("o", "full", (ir.ColRef("x", "int"),)), insert)),)),), ("r",))


def test_deep_filters_survive_join_ordering_and_the_native_fixpoint_planner():
    # join_order removes the op it picks from a list (== against the others) and the native
    # fixpoint planner names an expression it cannot run (repr): both once recursed per level
    s = " + 1" * DEPTH
    source = ("u(1). v(2). v(3). v(4). w(100).\n"
              f"r(x, z, q) :- u(x), v(z), x{s} > z, w(q), x{s} > q.\n"
              "e(1, 2). e(2, 3). e(3, 4).\np(a, b) :- e(a, b).\n"
              f"p(a, c) :- p(a, b), e(b, c), c < b{' + 0' * DEPTH} + 1000.\n")
    limit = sys.getrecursionlimit()
    result = nsl.compile(source).run()
    assert sorted(tuple(r) for r in result["r"]) == [(1, 2, 100), (1, 3, 100), (1, 4, 100)]
    assert sorted(tuple(r) for r in result["p"]) == [(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]
    assert sys.getrecursionlimit() == limit
