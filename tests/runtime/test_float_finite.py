"""Every float a rule derives is finite: arithmetic that overflows to ±inf or gives NaN drops
its row, as a division by zero does, in the runtime, the constant fold and aggregates."""
import json

from tests.helpers import expect_result, nslc, run_program

FACTS = "f(1, 1e308). f(2, 1.0). f(3, 5.0). f(4, 1.5e308).\n"


def test_nan_and_inf_rows_are_dropped_before_they_reach_joins_and_aggregates():
    expect_result(FACTS + """
q(k, y) :- f(k, x), x > 1e300, y = x * 10.0 - x * 10.0.
q(k, y) :- f(k, x), x < 1e300, y = x.
c(n) :- n = count(y: q(_, y)).
mx(m) :- m = max(y, k: q(k, y)).
am(w) :- w = argmax(k: q(k, y), y).
same(a, b) :- q(a, y), q(b, y), a < b.
""", {"q": [(2, 1.0), (3, 5.0)], "c": [(2,)], "mx": [(5.0,)], "am": [(3,)], "same": []})


def test_each_operator_checks_its_own_result():
    expect_result(FACTS + """
r(k, y) :- f(k, x), y = x * 10.0.
d(k, y) :- f(k, x), y = x / 1e-10.
m(k, y) :- f(k, x), y = min(x * 10.0, 1.0).
c(k) :- f(k, x), x * 10.0 > 0.0.
p(k, y) :- f(k, x), k < 3, y = (0.0 - x) ** 0.5.
i(k, y) :- f(k, x), y = 1.0 / (x * 10.0).
""", {"r": [(2, 10.0), (3, 50.0)], "d": [(2, 1e10), (3, 5e10)], "m": [(2, 1.0), (3, 1.0)],
      "c": [(2,), (3,)], "p": [], "i": [(2, 0.1), (3, 0.02)]})


def test_constant_expressions_that_overflow_derive_nothing():
    expect_result("g(1).\nv(y) :- g(_), y = 1e308 * 10.0.\nw(1e308 * 10.0) :- g(_).\n"
                  "ok(y) :- g(_), y = 1e308 * 1.0.\n", {"v": [], "w": [], "ok": [(1e308,)]})


def test_an_argmax_objective_that_overflows_skips_that_row():
    expect_result(FACTS + "am(w) :- w = argmax(k: f(k, x), x * 10.0).\n", {"am": [(3,)]})


def test_a_float_sum_past_the_float_range_drops_its_group():
    result = run_program(FACTS + """
grp(k, 1) :- f(k, _), k < 3.
grp(k, 2) :- f(k, _), k != 2, k != 3.
s(g, t) :- grp(_, g), t = sum(x, k: grp(k, g), f(k, x)).
""")
    assert result.rows("s") == [(1, 1e308 + 1.0)]


def _not_json(constant):
    raise AssertionError(f"{constant} is not JSON")


def test_run_output_is_valid_json_and_reloadable_nsl(tmp_path):
    src = tmp_path / "nan.nsl"
    src.write_text("f(1e308).\nq(y) :- f(x), y = x * 10.0 - x * 10.0.\nr(y) :- f(x), y = x * 10.0.\n"
                   "n(y) :- f(x), y = 0.0 - x * 10.0.\nk(y) :- f(x), y = x * 0.5.\n")
    proc = nslc("run", "--json", str(src))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout, parse_constant=_not_json)
    assert data["relations"] == {"q": [], "r": [], "n": [], "k": [{"args": [5e307]}]}
    proc = nslc("run", str(src))
    assert proc.returncode == 0 and "nan" not in proc.stdout and "inf" not in proc.stdout
    back = tmp_path / "back.nsl"
    back.write_text(proc.stdout)
    assert nslc("run", str(back)).returncode == 0
