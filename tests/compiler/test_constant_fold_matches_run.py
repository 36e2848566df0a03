"""A folded constant is the value the run computes: ``constant_fold`` (through
``nsl.lang.constant_arith``) against the runtime on the same operands, read from facts."""
from __future__ import annotations

import pytest

import nsl
from nsl.compiler import ir
from nsl.compiler.passes.constant_fold import fold_expr
from nsl.lang.constant_arith import INT_MAX, INT_MIN, binary
from tests.lang.test_constant_arith import same_value

INTS = [0, 1, -1, 2, -2, 3, 7, -7, 62, 63, INT_MIN, INT_MAX, 3037000500]
FLOATS = [0.0, 1.0, -1.0, 0.5, 2.0, -7.5, 3.25, 1e308, -1e308, -1e-300]  # inputs are finite
OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "**": "pow"}
KINDS = {"int": INTS, "float": FLOATS}


@pytest.mark.parametrize("left,right", [("int", "int"), ("float", "float"), ("int", "float")])
@pytest.mark.parametrize("op", list(OPS))
def test_a_folded_value_is_the_runs(op, left, right):
    pairs = [(a, b) for a in KINDS[left] for b in KINDS[right]]
    result = nsl.compile(f"input p(a: {left}, b: {right})\nout(a, b, c) :- p(a, b), c = a {op} b.\n") \
        .run(facts={"p": pairs}, queries=("out",))
    ran = {(a, b): c for a, b, c in result.rows("out")}
    kind = "float" if "float" in (left, right) else "int"
    for a, b in pairs:
        value = binary(op, a, b)
        expr = ir.BinExpr(OPS[op], ir.Lit(a, left), ir.Lit(b, right), kind)
        folded = fold_expr(expr)
        if value is None:
            assert folded == expr
            if op in ("/", "%") and b == 0:
                assert (a, b) not in ran  # the run drops the row
            continue
        assert folded.type == kind and same_value(folded.value, float(value) if kind == "float" else value)
        stored = folded.value + 0.0 if kind == "float" else folded.value  # a relation holds 0.0, not -0.0
        assert same_value(ran[(a, b)], stored), (a, op, b)
