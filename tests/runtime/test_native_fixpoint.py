"""The native fixpoint kernel against the torch loop (its reference) on random programs and graphs.

Programs are drawn in the shape the kernel runs (a delta scan first, probes of
lower relations, antijoins, comparisons, membership tests, literals, mutual
recursion), and each test also checks that the kernel did run, so a silent
fallback cannot make it pass.
"""
import dataclasses

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsl.compiler import ir
from nsl.compiler.jit import llvm_available
from nsl.runtime import execute, native_fixpoint
from nsl.runtime.fixpoint_plan import plan_stratum

from ir_builders import W, binop, insert, join, lit, module, rel, rule, stratum, transitive_closure, v

pytestmark = pytest.mark.skipif(not llvm_available(), reason="llvmlite is not available")

EDB = {"e": 2, "f": 2, "g": 1}
IDB = {"p": 2, "q": 1}


@pytest.fixture
def native_calls(monkeypatch):
    """Count the strata the kernel ran."""
    calls = []
    real = native_fixpoint.run_native

    def spy(ex, s):
        done = real(ex, s)
        calls.append(done)
        return done

    monkeypatch.setattr("nsl.runtime.executor.run_native", spy)
    return calls


def both(mod, inputs, monkeypatch):
    """Rows of every relation with the kernel, then with the torch loop."""
    db = execute(mod, inputs=inputs)
    native = {r.name: db.rows(r.name) for r in mod.relations}
    monkeypatch.setattr(native_fixpoint, "ENABLED", False)
    db = execute(mod, inputs=inputs)
    reference = {r.name: db.rows(r.name) for r in mod.relations}
    monkeypatch.setattr(native_fixpoint, "ENABLED", True)
    return native, reference


# how a run is cut up: the iteration limit, progress (in chunks of a fixed number of
# iterations, or the default time-based ones), buffers small enough to grow mid-chunk
budgets = st.fixed_dictionaries({
    "max_iterations": st.none() | st.integers(1, 8), "progress": st.booleans(),
    "chunk": st.none() | st.integers(1, 4), "cap": st.sampled_from([1, 4, None])})


def named(mod):
    """``mod`` with every rule's name as its origin, so the limit error says which rule."""
    def rules(rs):
        return tuple(dataclasses.replace(r, origin=r.name) for r in rs)
    return dataclasses.replace(mod, strata=tuple(
        dataclasses.replace(s, init=rules(s.init), loop=rules(s.loop)) for s in mod.strata))


def both_cut(mod, inputs, monkeypatch, budget):
    """The outcome (rows, or the limit error) and the progress reports, with the kernel run
    as ``budget`` says, then with the torch loop."""
    from nsl.runtime.errors import NoFixpointError
    monkeypatch.setattr(native_fixpoint, "CHUNK", budget["chunk"])
    if budget["cap"] is not None:
        monkeypatch.setattr(native_fixpoint, "INITIAL_CAP", budget["cap"])
    runs = []
    for enabled in (True, False):
        monkeypatch.setattr(native_fixpoint, "ENABLED", enabled)
        events = []
        progress = (lambda p: events.append((p.index, p.iteration, p.facts, p.done))) \
            if budget["progress"] else None
        try:
            db = execute(mod, inputs=inputs, max_iterations=budget["max_iterations"],
                         progress=progress)
            result = {r.name: db.rows(r.name) for r in mod.relations}
        except NoFixpointError as e:
            result = (str(e), e.notes())
        runs.append((result, events))
    monkeypatch.setattr(native_fixpoint, "ENABLED", True)
    return runs


def assert_same_run(native, reference):
    """Same outcome; the kernel's reports are some of the torch loop's, the end included."""
    assert native[0] == reference[0]
    events = iter(reference[1])
    assert all(e in events for e in native[1]), (native[1], reference[1])  # a subsequence
    if native[1]:
        assert native[1][-1] == reference[1][-1]


@st.composite
def loop_rule(draw, n):
    bound, ops = [], []
    head = draw(st.sampled_from(sorted(IDB)))
    src = draw(st.sampled_from(sorted(IDB)))

    def term(allow_new=True, allow_wild=True):
        kinds = ["lit"] + (["wild"] if allow_wild else []) + (["bound"] if bound else []) \
            + (["new"] * 3 if allow_new else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "lit":
            return lit(draw(st.integers(0, 4)))
        if kind == "wild":
            return W
        if kind == "bound":
            return v(draw(st.sampled_from(bound)))
        name = f"v{len(bound)}"
        bound.append(name)
        return v(name)

    ops.append(join(src, *[term() for _ in range(IDB[src])], delta=True))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["join", "join", "anti", "filter", "filter", "member"]))
        if kind == "join":
            r = draw(st.sampled_from(sorted(EDB)))
            ops.append(join(r, *[term() for _ in range(EDB[r])]))
        elif kind == "anti":
            r = draw(st.sampled_from(sorted(EDB)))
            ops.append(ir.AntiJoin(r, tuple(term(allow_new=False) for _ in range(EDB[r]))))
        elif kind == "filter" and bound:
            op = draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]))
            ops.append(ir.Filter(binop(op, term(False, False), term(False, False), "bool")))
        elif kind == "member" and bound:
            r = draw(st.sampled_from(sorted(IDB)))
            ops.append(join(r, *[term(allow_new=False, allow_wild=False) for _ in range(IDB[r])]))
    args = [v(draw(st.sampled_from(bound))) if bound and draw(st.integers(0, 4)) else
            lit(draw(st.integers(0, 4))) for _ in range(IDB[head])]
    ops.append(insert(head, *args))
    return rule(*ops, name=f"r{n}")




@st.composite
def native_program(draw):
    loop = [draw(loop_rule(n)) for n in range(draw(st.integers(1, 3)))]
    init = [rule(join("e", "x", "y"), insert("p", "x", "y")),
            rule(join("g", "x"), insert("q", "x"))]
    mod = module([rel(k, *["int"] * a, kind="input") for k, a in EDB.items()]
                 + [rel(k, *["int"] * a) for k, a in IDB.items()],
                 [stratum(tuple(sorted(IDB)), init=init, loop=loop)])
    base = draw(st.sampled_from([0, 0, 0, 2, -10**9]))  # literals are 0..4; also ids far away
    values = st.integers(0, 5).map(lambda x: x - base)
    inputs = {k: draw(st.lists(st.tuples(*[values] * a), max_size=12))
              for k, a in EDB.items()}
    return mod, inputs, base


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(native_program(), budgets)
def test_kernel_matches_torch_loop_on_random_programs(case, budget):
    mod, inputs, base = case
    with pytest.MonkeyPatch.context() as mp:
        calls = []
        real = native_fixpoint.run_native
        mp.setattr("nsl.runtime.executor.run_native",
                   lambda ex, s: calls.append(real(ex, s)) or calls[-1])
        native, reference = both_cut(named(mod), inputs, mp, budget)
    assert_same_run(native, reference)
    if base > -10**9:  # values and literals close together: small bitmaps
        assert calls[0], "the kernel should have run this stratum"


graphs = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=80)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs, st.sampled_from([0, -50, 10**12]), budgets)
def test_transitive_closure_on_random_graphs(edges, offset, budget):
    """Self-loops, duplicate edges, empty graphs, ids far from zero; cut up by budgets."""
    edges = [(a + offset, b + offset) for a, b in edges]
    mod = named(transitive_closure())
    with pytest.MonkeyPatch.context() as mp:
        native, reference = both_cut(mod, {"edge": edges}, mp, budget)
    assert_same_run(native, reference)


def test_buffers_grow_when_full(monkeypatch, native_calls):
    monkeypatch.setattr(native_fixpoint, "INITIAL_CAP", 1)
    edges = [(i, i + 1) for i in range(60)] + [(i, (7 * i) % 61) for i in range(61)]
    native, reference = both(transitive_closure(), {"edge": edges}, monkeypatch)
    assert native == reference and native_calls[0]


def test_result_is_sorted_run_and_usable_downstream(native_calls):
    """The stored relation is one sorted run; later strata join and extend it normally."""
    mod = transitive_closure()
    db = execute(mod, inputs={"edge": [(3, 1), (1, 2), (2, 3)]})
    assert native_calls == [True]
    assert db.rows("path") == [(a, b) for a in (1, 2, 3) for b in (1, 2, 3)]
    assert torch.equal(db.columns("path")[0], torch.tensor([1, 1, 1, 2, 2, 2, 3, 3, 3]))


def test_str_columns_and_range_fallback(monkeypatch, native_calls):
    mod = module([rel("edge", "str", "str", kind="input"), rel("path", "str", "str")],
                 [stratum("path", init=[rule(join("edge", v("a", "str"), v("b", "str")),
                                             insert("path", v("a", "str"), v("b", "str")))],
                          loop=[rule(join("path", v("a", "str"), v("b", "str"), delta=True),
                                     join("edge", v("b", "str"), v("c", "str")),
                                     insert("path", v("a", "str"), v("c", "str")))])])
    edges = [("x", "y"), ("y", "z"), ("z", "x"), ("w", "x")]
    native, reference = both(mod, {"edge": edges}, monkeypatch)
    assert native == reference and native_calls[0]
    monkeypatch.setattr(native_fixpoint, "BITS_LIMIT", 4)  # too wide for a bitmap: torch loop
    native_calls.clear()
    assert execute(mod, inputs={"edge": edges}).rows("path") == reference["path"]
    assert native_calls == [False]


def _probe_after_insert():
    """Stratum {p, q}, q = g: r0 derives p(1, 0) from Δq; r1 (later in the iteration)
    tests p(1, 0). It is not a complete semi-naive rewrite (no Δp variant of r1), so
    whether r1 sees r0's row changes the result."""
    return module([rel(k, *["int"] * a, kind="input") for k, a in EDB.items()]
                  + [rel(k, *["int"] * a) for k, a in IDB.items()],
                  [stratum(("p", "q"),
                           init=[rule(join("e", "x", "y"), insert("p", "x", "y")),
                                 rule(join("g", "x"), insert("q", "x"))],
                           loop=[rule(join("q", "v0", delta=True), insert("p", lit(1), lit(0)),
                                      name="r0"),
                                 rule(join("q", "v0", delta=True), join("g", lit(0)),
                                      join("p", lit(1), lit(0)), insert("p", lit(0), "v0"),
                                      name="r1")])])


def test_membership_sees_the_relation_as_the_iteration_began(monkeypatch, native_calls):
    """Jacobi iterations: a row derived in an iteration is not seen by a later rule of
    that iteration (hypothesis found the kernel seeing it)."""
    native, reference = both(_probe_after_insert(), {"e": [], "f": [], "g": [(0,)]},
                             monkeypatch)
    assert native_calls[0]
    assert native == reference
    assert native["p"] == [(1, 0)] and native["q"] == [(0,)]


def _step_through_r():
    """q = s; r = t; then q(y) :- Δq(x), e(x, y). and r(y) :- Δq(x), e(x, y), r(x)."""
    return module([rel("e", "int", "int", kind="input"), rel("s", "int", kind="input"),
                   rel("t", "int", kind="input"), rel("q", "int"), rel("r", "int")],
                  [stratum(("q", "r"),
                           init=[rule(join("s", "x"), insert("q", "x")),
                                 rule(join("t", "x"), insert("r", "x"))],
                           loop=[rule(join("q", "x", delta=True), join("e", "x", "y"),
                                      insert("q", "y")),
                                 rule(join("q", "x", delta=True), join("e", "x", "y"),
                                      join("r", "x"), insert("r", "y"))])])


def test_membership_does_not_see_an_earlier_row_of_the_same_rule(monkeypatch, native_calls):
    """r = {0}, Δq = {0, 1}: the row x = 0 derives r(1), which the row x = 1 must not see
    (it would derive r(2))."""
    inputs = {"e": [(0, 1), (1, 2)], "s": [(0,), (1,)], "t": [(0,)]}
    native, reference = both(_step_through_r(), inputs, monkeypatch)
    assert native_calls[0]
    assert native == reference
    assert native["r"] == [(0,), (1,)]


def test_buffers_grow_mid_iteration_with_membership_tests(monkeypatch, native_calls):
    """The redone iteration reads the same snapshot: rows the interrupted one derived are
    deduplicated but still not seen by membership tests."""
    monkeypatch.setattr(native_fixpoint, "INITIAL_CAP", 1)
    inputs = {"e": [(i, i + 1) for i in range(40)] + [(i, (7 * i) % 41) for i in range(41)],
              "s": [(0,), (3,), (5,)], "t": [(0,), (7,)]}
    native, reference = both(_step_through_r(), inputs, monkeypatch)
    assert native_calls[0]
    assert native == reference


def _mutual():
    """A complete semi-naive rewrite of p(x) :- q(x). r(x) :- q(x), p(x). with q = g:
    Jacobi iterations derive p(0) in the first, r(0) in the second (a kernel that let
    r1 see r0's row derived both in the first)."""
    return module([rel("g", "int", kind="input"), rel("p", "int"), rel("q", "int"),
                   rel("r", "int")],
                  [stratum(("p", "q", "r"),
                           init=[rule(join("g", "x"), insert("q", "x"))],
                           loop=[rule(join("q", "x", delta=True), insert("p", "x"), name="r0"),
                                 rule(join("q", "x", delta=True), join("p", "x"),
                                      insert("r", "x"), name="r1"),
                                 rule(join("p", "x", delta=True), join("q", "x"),
                                      insert("r", "x"), name="r2")])])


@pytest.mark.parametrize("kernel", [True, False])
def test_both_engines_count_the_same_iterations(monkeypatch, native_calls, kernel):
    """``max_iterations`` and progress reports depend on the iteration count, so it is one."""
    from nsl.runtime.errors import NoFixpointError
    monkeypatch.setattr(native_fixpoint, "ENABLED", kernel)
    seen = []
    db = execute(_mutual(), inputs={"g": [(0,)]}, max_iterations=2, progress=seen.append)
    assert native_calls == [kernel]
    assert db.rows("r") == [(0,)]
    assert seen[-1].done and seen[-1].iteration == 3  # two derive facts, the third finds none
    with pytest.raises(NoFixpointError):
        execute(_mutual(), inputs={"g": [(0,)]}, max_iterations=1)


def test_non_linear_recursion_is_left_to_the_torch_loop():
    mod = module([rel("edge", "int", "int", kind="input"), rel("path", "int", "int")],
                 [stratum("path", init=[rule(join("edge", "a", "b"), insert("path", "a", "b"))],
                          loop=[rule(join("path", "a", "b", delta=True), join("path", "b", "c"),
                                     insert("path", "a", "c"))])])
    types = {r.name: r.types for r in mod.relations}
    assert plan_stratum(mod.strata[0], types, None) is None
