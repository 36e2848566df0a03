"""Int data of any 64-bit magnitude: values near ±2**63, ±2**62 and 0 through joins, projections,
recursion, negation and aggregates, against a plain Python reference of docs/language.md.

Relations whose values span a small range but lie far from 0 (64-bit hash ids, INT64_MAX as
a sentinel, INT64_MIN) are the ones the runtime packs into bounded-domain keys (a bitmap,
mixed-radix keys, the native fixpoint's bitmaps): every offset and bound there is checked in
Python ints before it reaches an int64 tensor. This used to crash with OverflowError.
"""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nsl
from tests.helpers import nslc

INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1
CENTRES = [INT_MIN, -(1 << 62), 0, 1 << 62, INT_MAX]


def _wrap(x: int) -> int:
    return (x - INT_MIN) % (1 << 64) + INT_MIN


def _clamped(x: int) -> int:
    return max(INT_MIN, min(INT_MAX, x))


# near one of the centres (so a relation's range is small and its magnitude large), or anywhere
values = st.one_of(
    st.tuples(st.sampled_from(CENTRES), st.integers(-3, 3)).map(lambda t: _clamped(t[0] + t[1])),
    st.integers(INT_MIN, INT_MAX),
)
# rows of one relation mostly share a centre per column: a narrow range is the packed case
def _rows(arity, max_size):
    def build(centres):
        cell = [st.one_of(st.tuples(st.just(c), st.integers(-4, 4)).map(
            lambda t: _clamped(t[0] + t[1])), values) for c in centres]
        return st.sets(st.tuples(*cell), max_size=max_size)
    return st.lists(st.sampled_from(CENTRES), min_size=arity, max_size=arity).flatmap(build)


PROGRAM = """
input u(x: int)
input a(x: int, y: int)
input b(x: int, y: int)
input t(x: int, y: int, z: int)
pair(x, y) :- u(x), u(y).
j(x, z) :- a(x, y), b(y, z).
p(x) :- a(x, _).
p3(z, x) :- t(x, _, z).
tc(x, y) :- a(x, y).
tc(x, z) :- tc(x, y), a(y, z).
n(x, y) :- a(x, y), not b(x, y).
n3(x, y, z) :- t(x, y, z), not a(x, y).
cnt(x, c) :- u(x), c = count(y: a(x, y)).
lo(x, m) :- u(x), m = min(y: a(x, y)).
hi(x, m) :- u(x), m = max(y: a(x, y)).
s(x, v) :- u(x), v = sum(y: a(x, y)).
neg(x, y) :- u(x), y = -x.
"""


def reference(u, a, b, t) -> dict:
    """docs/language.md's meaning of ``PROGRAM``, plainly."""
    tc = set(a)
    while True:
        more = {(x, z) for x, y in tc for y2, z in a if y == y2} - tc
        if not more:
            break
        tc |= more
    per = {x: sorted({y for x2, y in a if x2 == x}) for x in u}
    return {
        "pair": {(x, y) for x in u for y in u},
        "j": {(x, z) for x, y in a for y2, z in b if y == y2},
        "p": {(x,) for x, _ in a},
        "p3": {(z, x) for x, _, z in t},
        "tc": tc,
        "n": set(a) - set(b),
        "n3": {r for r in t if (r[0], r[1]) not in a},
        "cnt": {(x, len(ys)) for x, ys in per.items()},
        "lo": {(x, ys[0]) for x, ys in per.items() if ys},
        "hi": {(x, ys[-1]) for x, ys in per.items() if ys},
        "s": {(x, _wrap(sum(ys))) for x, ys in per.items()},  # an int sum wraps
        "neg": {(x, _wrap(-x)) for x in u},  # -INT64_MIN wraps to itself
    }


def _facts_text(u, a, b, t) -> str:
    lines = []
    for rel, rows in (("u", {(x,) for x in u}), ("a", a), ("b", b), ("t", t)):
        lines += [f"{rel}({', '.join(map(str, row))})." for row in sorted(rows)]
    return "\n".join(lines)


def _check(result, expected):
    for rel, rows in expected.items():
        assert result.rows(rel) == sorted(rows), rel


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(values, max_size=4), _rows(2, 6), _rows(2, 6), _rows(3, 5), st.booleans())
def test_extreme_ints_match_the_reference(u, a, b, t, as_text):
    # chains of a: ids near one centre link up, so the recursion has several iterations
    expected = reference(u, a, b, t)
    if as_text:  # the rows as facts of the program
        source = PROGRAM.replace("input ", "rel ") + _facts_text(u, a, b, t)
        result = nsl.compile(source).run()
    else:  # the rows as Python inputs
        facts = {"u": [(x,) for x in sorted(u)], "a": sorted(a), "b": sorted(b), "t": sorted(t)}
        result = nsl.compile(PROGRAM).run(facts=facts)
    _check(result, expected)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CENTRES), st.lists(st.integers(-6, 6), min_size=2, max_size=8, unique=True))
def test_a_chain_of_ids_near_an_extreme_closes_transitively(centre, steps):
    ids = sorted({_clamped(centre + d) for d in steps})
    a = set(zip(ids, ids[1:]))
    u = set(ids[:2])
    result = nsl.compile(PROGRAM).run(facts={"u": [(x,) for x in u], "a": sorted(a),
                                             "b": [], "t": []})
    _check(result, reference(u, a, set(), set()))


def _nslc_rows(path, cwd):
    proc = nslc("run", "--json", str(path), cwd=str(cwd))
    assert proc.returncode == 0, proc.stderr
    return {rel: sorted(tuple(r["args"]) for r in rows)
            for rel, rows in json.loads(proc.stdout)["relations"].items()}


def test_nslc_run_on_the_audited_cases(tmp_path):
    (tmp_path / "big.csv").write_text("9223372036854775807,1\n9223372036854775806,2\n")
    (tmp_path / "csv.nsl").write_text('input e(a: int, b: int) from "big.csv"\n'
                                      "r(x, y) :- e(x, y).\n")
    assert _nslc_rows(tmp_path / "csv.nsl", tmp_path)["r"] == \
        [(INT_MAX - 1, 2), (INT_MAX, 1)]
    u = {INT_MAX - 1, INT_MAX}
    a = {(INT_MIN, -1), (INT_MAX - 2, INT_MAX - 1), (INT_MAX - 1, INT_MAX),
         (1 << 62, 3), ((1 << 62) + 1, 4)}
    b = {(INT_MAX, INT_MIN), (-1, INT_MAX)}
    t = {(INT_MIN, 0, INT_MAX), (INT_MIN + 1, 1, INT_MAX - 1)}
    (tmp_path / "prog.nsl").write_text(PROGRAM.replace("input ", "rel ") + _facts_text(u, a, b, t))
    got = _nslc_rows(tmp_path / "prog.nsl", tmp_path)
    for rel, rows in reference(u, a, b, t).items():
        assert got.get(rel, []) == sorted(rows), rel


def test_float_keys_near_int64_min_in_the_sorted_path():
    # a float's key is its bits: tiny negative floats lie next to INT64_MIN, and the membership
    # filter's slack must not push its bounds past int64
    source = "f(-5e-324). f(-1e-323). f(-1.5e-323).\ng(x) :- f(x).\ng(x) :- f(y), x = y * 2.0.\n"
    assert [r[0] for r in nsl.compile(source).run().rows("g")] == \
        [-3e-323, -2e-323, -1.5e-323, -1e-323, -5e-324]


@settings(deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CENTRES), st.integers(0, 3)), min_size=1, max_size=3),
       st.data())
def test_packed_keys_are_exact_at_any_magnitude(ranges, data):
    import torch
    from nsl.runtime.dense import DenseSet
    from nsl.runtime.keys import KeyCodec
    lows = [_clamped(c - w) if c > 0 else c for c, w in ranges]
    highs = [_clamped(lo + w) for lo, (_, w) in zip(lows, ranges)]
    rows = data.draw(st.lists(st.tuples(*[st.integers(lo, hi) for lo, hi in zip(lows, highs)]),
                              min_size=1, max_size=6))
    cols = [torch.tensor(c, dtype=torch.int64) for c in zip(*rows)]
    strides, size = [], 1
    for lo, hi in reversed(list(zip(lows, highs))):
        strides.insert(0, size)
        size *= hi - lo + 1
    want = [sum((v - lo) * s for v, lo, s in zip(row, lows, strides)) for row in rows]
    codec = KeyCodec.for_ranges(lows, highs)
    assert codec.encode(cols)[0].tolist() == want
    assert codec.encode_checked(cols).tolist() == want
    assert DenseSet(lows, highs).keys(cols, len(rows)).tolist() == want
    slack = KeyCodec.for_ranges(lows, highs, slack=True)  # widened bounds stay within int64
    assert all(INT_MIN <= x <= INT_MAX for x in slack.lows + slack.highs)
    assert slack.encode_checked(cols) is not None
    wide = DenseSet.fit(cols, slack=True)  # the bitmap's slack is clamped the same way
    assert all(INT_MIN <= x <= INT_MAX for x in wide.lows + wide.highs)
    key = wide.keys(cols, len(rows))
    assert 0 <= min(key.tolist()) and max(key.tolist()) < wide.size
