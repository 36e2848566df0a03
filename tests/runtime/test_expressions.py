"""Expressions: C division semantics, overflow, pow, strings, comparisons, dropped rows."""
import pytest

from ir_builders import bind, binop, filt, insert, join, lit, one_rule, rows_of, unop, v
from naive_eval import cdiv, cmod

INT_PAIRS = [(7, 2), (-7, 2), (7, -2), (-7, -2), (0, 5), (5, 0), (-(2**63), -1), (-(2**63), 1),
             (2**63 - 1, -1), (1, 3), (-1, 3)]


def _arith(op, pairs, ty="int"):
    mod = one_rule([ty, ty, ty], [join("p", v("a", ty), v("b", ty)),
                                  bind("c", binop(op, v("a", ty), v("b", ty), ty)),
                                  insert("out", "a", "b", "c")], {"p": [ty, ty]})
    return rows_of(mod, "out", {"p": pairs})


@pytest.mark.parametrize("op,ref", [("div", cdiv), ("mod", cmod)])
def test_int_div_mod_truncate_toward_zero_and_drop_division_by_zero(op, ref):
    got = _arith(op, INT_PAIRS)
    expected = sorted((a, b, ref(a, b)) for a, b in INT_PAIRS if b != 0)
    assert got == expected
    assert (7, 2, 3 if op == "div" else 1) in got and (-7, 2, -3 if op == "div" else -1) in got


def test_int_arithmetic_wraps_at_64_bits():
    got = dict(((a, b), c) for a, b, c in _arith("add", [(2**63 - 1, 1), (2, 3)]))
    assert got[(2**63 - 1, 1)] == -(2**63) and got[(2, 3)] == 5
    got = dict(((a, b), c) for a, b, c in _arith("mul", [(2**62, 4), (-3, 5)]))
    assert got[(2**62, 4)] == 0 and got[(-3, 5)] == -15


def test_pow_min_max():
    assert _arith("pow", [(2, 10), (-3, 3), (2, -1), (1, -5), (-1, -3), (0, -1), (0, 0)]) == [
        (-3, 3, -27), (-1, -3, -1), (0, 0, 1), (1, -5, 1), (2, -1, 0), (2, 10, 1024)]
    assert _arith("min", [(3, -4)]) == [(3, -4, -4)] and _arith("max", [(3, -4)]) == [(3, -4, 3)]


def test_float_arithmetic_and_division_by_zero():
    got = _arith("div", [(1.0, 4.0), (1.0, 0.0), (-3.0, 2.0)], "float")
    assert got == [(-3.0, 2.0, -1.5), (1.0, 4.0, 0.25)]
    assert _arith("mod", [(-7.5, 2.0)], "float") == [(-7.5, 2.0, -1.5)]


def test_mixed_int_float_promotes():
    mod = one_rule(["float"], [join("p", "a"), bind("c", binop("add", v("a"), lit(0.5), "float")),
                               insert("out", v("c", "float"))], {"p": ["int"]})
    assert rows_of(mod, "out", {"p": [(1,), (2,)]}) == [(1.5,), (2.5,)]


def test_unary_neg_abs():
    mod = one_rule(["int", "int"], [join("p", "a"), bind("n", unop("neg", v("a"))),
                                    bind("m", unop("abs", v("a"))), insert("out", "n", "m")],
                   {"p": ["int"]})
    assert rows_of(mod, "out", {"p": [(-3,), (4,)]}) == [(-4, 4), (3, 3)]


def test_string_concat_and_interning():
    s = lambda n: v(n, "str")  # noqa: E731
    mod = one_rule(["str"], [join("p", s("a"), s("b")),
                             bind("c", binop("concat", s("a"), s("b"))), insert("out", s("c"))],
                   {"p": ["str", "str"]})
    data = [("ab", "c"), ("a", "bc"), ("", ""), ("x", "y"), ("x", "y")]
    assert rows_of(mod, "out", {"p": data}) == [("",), ("abc",), ("xy",)]


def test_string_comparisons_are_lexicographic_not_by_id():
    s = lambda n: v(n, "str")  # noqa: E731
    mod = one_rule(["str", "str"], [join("p", s("a")), join("p", s("b")),
                                    filt(binop("lt", s("a"), s("b"))), insert("out", s("a"), s("b"))],
                   {"p": ["str"]})
    words = ["pear", "apple", "fig", "Zebra", "apples"]
    assert rows_of(mod, "out", {"p": [(w,) for w in words]}) == sorted(
        (a, b) for a in words for b in words if a < b)
    mod = one_rule(["str"], [join("p", s("a")), join("p", s("b")),
                             bind("m", binop("max", s("a"), s("b"), "str")), insert("out", s("m"))],
                   {"p": ["str"]})
    assert rows_of(mod, "out", {"p": [(w,) for w in words]}) == sorted((w,) for w in words)


def test_comparisons_filter_rows_and_bool_columns():
    mod = one_rule(["int", "bool"], [join("p", "a"), bind("b", binop("ge", v("a"), lit(2))),
                                     filt(binop("ne", v("a"), lit(3))), insert("out", "a", v("b", "bool"))],
                   {"p": ["int"]})
    assert rows_of(mod, "out", {"p": [(1,), (2,), (3,), (4,)]}) == [(1, False), (2, True), (4, True)]


def test_division_by_zero_inside_a_filter_drops_the_row():
    mod = one_rule(["int"], [join("p", "a"), filt(binop("gt", binop("div", lit(10), v("a")), lit(1))),
                             insert("out", "a")], {"p": ["int"]})
    assert rows_of(mod, "out", {"p": [(0,), (2,), (20,)]}) == [(2,)]
