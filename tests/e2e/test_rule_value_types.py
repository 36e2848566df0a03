"""Values rules compute into columns of range and enum types: kept when they belong to the
type, an error at the head argument when they do not (checked a whole column at a time)."""
from __future__ import annotations

import pytest

import nsl
from nsl.lang.diagnostics import CompileError
from tests.helpers import expect_result

TYPES = """\
type Digit = 0..9
type Color = {"red", "green", "blue"}
rel v(d: Digit)
rel c(x: Color)
"""


def test_values_inside_the_type_are_derived():
    expect_result(TYPES + """
q(1). q(4). q(7).
name("red"). name("blue").
v(x) :- q(y), x = y + 2.
v(n) :- n = count(y: q(y)).
c(s) :- name(s).
c("gr" ++ "een") :- q(1).
""", {"v": [(3,), (6,), (9,)], "c": [("blue",), ("green",), ("red",)]})


def test_a_condition_in_the_body_keeps_rows_out_of_the_check():
    expect_result(TYPES + "q(1). q(8).\nv(x) :- q(y), x = y + 2, x <= 9.", {"v": [(3,)]})


def test_a_join_after_the_computation_drops_rows_before_the_check():
    expect_result(TYPES + "q(1). q(8).\nr(3).\nv(x) :- q(y), x = y + 2, r(x).", {"v": [(3,)]})


def test_input_rows_computed_into_a_range_column_are_checked():
    program = nsl.compile(TYPES + "input raw(x: int)\nv(x - 10) :- raw(x).")
    assert program.run(facts={"raw": [(10,), (19,)]}).rows("v") == [(0,), (9,)]
    with pytest.raises(CompileError) as info:
        program.run(facts={"raw": [(x,) for x in range(10, 100_000)]})
    text = info.value.render()
    assert text.startswith("<input>:6:3: error: this rule derived 10, which is not a value of type "
                           "Digit = 0..9\nv(x - 10) :- raw(x).\n  ^^^^^^\n"), text


def test_a_float_enum_column():
    expect_result('type Half = {0.5, 1.0}\nrel h(x: Half)\nq(1). q(2).\nh(y * 0.5) :- q(y).',
                  {"h": [(0.5,), (1.0,)]})
    with pytest.raises(CompileError, match="this rule derived 1.5, which is not a value of type Half"):
        nsl.compile('type Half = {0.5, 1.0}\nrel h(x: Half)\nq(3).\nh(y * 0.5) :- q(y).').run()
