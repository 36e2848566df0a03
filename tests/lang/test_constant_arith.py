"""NSL's arithmetic on constants (``nsl.lang.constant_arith``), the one the checks and the
``constant_fold`` pass both use, against a plain reference of LANGUAGE.md's semantics."""
from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

from hypothesis import given, strategies as st

import nsl
from nsl.compiler import ir
from nsl.lang.constant_arith import INT_MAX, INT_MIN, OPERATORS, binary
from tests.helpers import expect_error

EDGE_INTS = [0, 1, -1, 2, -2, 7, -7, 62, 63, INT_MIN, INT_MAX, INT_MIN + 1, 3037000499, 3037000500]
ints = st.sampled_from(EDGE_INTS) | st.integers(INT_MIN, INT_MAX) | st.integers(-100, 100)
floats = st.sampled_from([0.0, -0.0, 0.5, -7.5, 2.0, 1e308, math.inf, -math.inf, math.nan]) | st.floats()
numbers = ints | floats


def _trunc_div(a: int, b: int) -> int:
    return int(Fraction(a, b))  # int() of a Fraction truncates toward zero


def reference(op: str, a, b):
    """LANGUAGE.md's arithmetic, plainly: 64-bit ints, C's ``/`` and ``%``; None where no
    constant stands for the run's value."""
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        if op == "**" or (op in ("/", "%") and b == 0):
            return None
        if op == "%":  # C's fmod (the sign of the dividend, exact) where the quotient is finite
            if not math.isfinite(a / b):
                return None
            if math.isinf(b):
                return a
            r = Fraction(a) - Fraction(b) * _trunc_div(Fraction(a), Fraction(b))
            return math.copysign(float(r), a)
        value = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[op]()
        return value if math.isfinite(value) else None  # the run drops a non-finite row
    if op in ("/", "%") and b == 0:
        return None
    if op == "**" and not 0 <= b <= 62:
        return None
    value = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "**": lambda: a ** b,
             "/": lambda: _trunc_div(a, b), "%": lambda: a - b * _trunc_div(a, b)}[op]()
    return value if INT_MIN <= value <= INT_MAX else None


def same_value(x, y) -> bool:
    """Equal and of one type; floats to the sign of a zero, and nan equal to nan."""
    if isinstance(x, float) and isinstance(y, float):
        return (math.isnan(x) and math.isnan(y)) or (x == y and math.copysign(1, x) == math.copysign(1, y))
    return type(x) is type(y) and x == y


@given(st.sampled_from(OPERATORS), ints, ints)
def test_ints_match_the_reference(op, a, b):
    assert same_value(binary(op, a, b), reference(op, a, b))


@given(st.sampled_from(OPERATORS), numbers, floats)
def test_floats_and_mixed_match_the_reference(op, a, b):
    assert same_value(binary(op, a, b), reference(op, a, b))
    assert same_value(binary(op, b, a), reference(op, b, a))


def test_division_rounds_toward_zero_and_the_remainder_takes_the_dividends_sign():
    assert [binary("/", a, b) for a, b in ((7, 2), (-7, 2), (7, -2), (-7, -2))] == [3, -3, -3, 3]
    assert [binary("%", a, b) for a, b in ((7, 2), (-7, 2), (7, -2), (-7, -2))] == [1, -1, 1, -1]
    assert binary("%", -7.5, 2.0) == -1.5 and binary("%", 7.5, -2.0) == 1.5
    assert binary("%", 1e308, 0.5) is None  # the quotient overflows: torch's fmod may give nan


def test_no_constant_where_the_run_drops_the_row_or_wraps():
    assert binary("/", 5, 0) is None and binary("%", 5, 0) is None and binary("/", 5.0, 0.0) is None
    assert binary("/", INT_MIN, -1) is None and binary("%", INT_MIN, -1) == 0
    assert binary("+", INT_MAX, 1) is None and binary("*", 2 ** 62, 2) is None
    assert binary("**", 2, 62) == 2 ** 62 and binary("**", 2, 63) is None and binary("**", 2, -1) is None
    assert binary("**", 2.0, 3.0) is None  # left to the run: torch's pow may round otherwise
    # a float result that is not finite: the run drops the row, as for a division by zero
    assert binary("*", 1e308, 10.0) is None and binary("-", -1e308, 1e308) is None
    assert binary("+", math.inf, -math.inf) is None and binary("/", 1e308, 1e-10) is None


def test_an_int_and_a_float_compute_as_two_floats():
    assert binary("+", 1, 2.5) == 3.5 and binary("/", 7, 2.0) == 3.5 and binary("%", -7, 2.0) == -1.0
    assert math.copysign(1, binary("*", 0, -1.0)) == -1


def test_the_checker_works_out_what_the_fold_does():
    # `**` was left to the run by the checker while the fold worked it out; now both ask here
    program = "type Digit = 0..9\nrel v(d: Digit)\nq(1).\nv(x) :- q(_), x = 2 ** {}.\n"
    expect_error(program.format(4), "<input>:4:3: error: this argument can only be 16, which is not a "
                                    "value of type Digit = 0..9")
    rule = nsl.compile(program.format(3)).ir.strata[0].init[0]
    assert ir.Map("x", ir.Lit(8, "int")) in [replace(op, origin=None) for op in rule.ops]
