"""Constants worked out before the run (the builder's negation, the checks, ``constant_fold``)
agree with the run's arithmetic at the int64 extremes: the same expression over literals and
over values read from facts derives the same rows. Int arithmetic wraps (docs/language.md),
so `-(-9223372036854775808)` is `-9223372036854775808`, as `-x` is at run time; a literal
written in the source must still fit in 64 bits."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import nsl
from tests.helpers import expect_error, expect_result

INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1
EDGES = [INT_MIN, INT_MIN + 1, -(1 << 62), -3037000500, -2, -1, 0, 1, 2, 3, 62, 63, 3037000500,
         1 << 62, INT_MAX - 1, INT_MAX]
ints = st.sampled_from(EDGES) | st.integers(INT_MIN, INT_MAX)


def _expr(leaf):
    """Expressions over three leaves (``leaf(i)`` renders leaf i) up to two levels deep."""
    atoms = st.integers(0, 2).map(leaf)
    def extend(inner):
        return (st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%"]), inner)
                .map(lambda t: f"({t[0]} {t[1]} {t[2]})")
                | inner.map(lambda e: f"-{e}") | inner.map(lambda e: f"-({e})")
                | inner.map(lambda e: f"abs({e})"))
    return st.recursive(atoms, extend, max_leaves=4)


@settings(max_examples=150, deadline=None)
@given(st.lists(ints, min_size=3, max_size=3), st.data())
def test_folded_and_run_time_arithmetic_agree(values, data):
    shape = data.draw(_expr(lambda i: f"#{i}"))
    with_vars = shape
    with_lits = shape
    for i, v in enumerate(values):
        with_vars = with_vars.replace(f"#{i}", f"x{i}")
        with_lits = with_lits.replace(f"#{i}", f"({v})")  # `(-9223372036854775808)`: a literal
    facts = f"v({', '.join(map(str, values))}).\n"
    run_time = nsl.compile(facts + f"r(y) :- v(x0, x1, x2), y = {with_vars}.\n").run().rows("r")
    folded = nsl.compile(facts + f"r(y) :- v(_, _, _), y = {with_lits}.\n").run().rows("r")
    assert folded == run_time, (with_lits, folded, run_time)


def test_a_negated_constant_wraps_as_at_run_time():
    m = INT_MIN
    expect_result("u(1).\n"
                  "a(y) :- u(_), y = -(-9223372036854775808).\n"
                  "b(y) :- u(_), y = - -9223372036854775808.\n"
                  "c(-(-9223372036854775808)) :- u(_).\n"
                  "d(y) :- u(_), y = abs(-9223372036854775808).\n"
                  "e(y) :- u(_), y = -(-(-9223372036854775807)).\n",
                  {"a": [(m,)], "b": [(m,)], "c": [(m,)], "d": [(m,)], "e": [(m + 1,)]})


def test_a_literal_written_in_the_source_must_still_fit():
    expect_error("u(1).\nr(y) :- u(_), y = 9223372036854775808.\n",
                 "2:19: error: int 9223372036854775808 does not fit in 64 bits")
    expect_error("u(1).\nr(y) :- u(_), y = -9223372036854775809.\n",
                 "2:19: error: int -9223372036854775809 does not fit in 64 bits")
    # the minus is not written on the digits: the literal alone does not fit
    expect_error("u(1).\nr(y) :- u(_), y = -(9223372036854775808).\n",
                 "2:21: error: int 9223372036854775808 does not fit in 64 bits")
    expect_error("e(-(9223372036854775808)).\n",
                 "1:5: error: int 9223372036854775808 does not fit in 64 bits")
    expect_result("e(-9223372036854775808).\nf(- 9223372036854775808).\n",
                  {"e": [(INT_MIN,)], "f": [(INT_MIN,)]})
