"""The native fixpoint kernel's iteration budget: ``max_iterations`` stops the kernel after
that many iterations (the torch loop's next iteration then decides, so the error is the
torch loop's), and ``progress`` hears from the kernel between chunks of iterations.
"""
import pytest

import nsl
from nsl.compiler.jit import llvm_available
from nsl.runtime import execute, native_fixpoint
from nsl.runtime.errors import NoFixpointError

from ir_builders import transitive_closure

pytestmark = pytest.mark.skipif(not llvm_available(), reason="llvmlite is not available")

CLOSURE = "input edge(a: int, b: int)\npath(a, b) :- edge(a, b).\n" \
          "path(a, c) :- path(a, b), edge(b, c).\n"


def chain(n):
    return {"edge": [(i, i + 1) for i in range(n)]}


def after(n, iterations):
    """Paths of a chain of ``n`` edges after the first rules and ``iterations`` iterations."""
    return sum(n - k for k in range(min(iterations + 1, n)))


@pytest.fixture
def native_calls(monkeypatch):
    """Whether the kernel ran, per recursive stratum (so a fallback cannot make a test pass)."""
    calls = []
    real = native_fixpoint.run_native

    def spy(ex, s):
        calls.append(real(ex, s))
        return calls[-1]

    monkeypatch.setattr("nsl.runtime.executor.run_native", spy)
    return calls


@pytest.fixture
def loaded(monkeypatch):
    """Rows the native run loaded into each relation it stored."""
    from nsl.runtime.relation import StoredRelation
    sizes = []
    real = StoredRelation.load_sorted

    def spy(rel, cols, key, codec):
        sizes.append((rel.name, int(key.shape[0])))
        return real(rel, cols, key, codec)

    monkeypatch.setattr(StoredRelation, "load_sorted", spy)
    return sizes


def outcome(run):
    """The rows of a run, or its error as the diagnostic the user sees."""
    try:
        return ("rows", run())
    except nsl.CompileError as e:
        return ("error", e.render())


def test_the_limit_stops_the_kernel_instead_of_computing_the_closure(native_calls, loaded):
    with pytest.raises(NoFixpointError) as failure:
        execute(transitive_closure(), inputs=chain(300), max_iterations=5)
    assert native_calls == [True]
    assert loaded == [("path", after(300, 5))]    # not the 45150 paths of the closure
    assert "within 5 iterations" in str(failure.value)


@pytest.mark.parametrize("limit", [1, 2, 5, 297, 298, 299, 400])
def test_the_error_and_the_rows_are_the_torch_loops(monkeypatch, native_calls, limit):
    program = nsl.compile(CLOSURE)

    def run():
        return program.run(facts=chain(299), max_iterations=limit).rows("path")

    native = outcome(run)
    assert native_calls == [True]
    monkeypatch.setattr(native_fixpoint, "ENABLED", False)
    assert native == outcome(run)
    assert native[0] == ("rows" if limit >= 298 else "error")


def _progress(program, facts, **kw):
    events = []
    try:
        program.run(facts=facts, progress=lambda p: events.append((p.iteration, p.facts, p.done)),
                    **kw)
    except nsl.CompileError:
        pass
    return events


def test_progress_hears_every_iteration_when_chunks_are_one_iteration(monkeypatch, native_calls):
    monkeypatch.setattr(native_fixpoint, "PROGRESS_SECONDS", 0, raising=False)
    program = nsl.compile(CLOSURE)
    native = _progress(program, chain(40))
    assert native_calls == [True]
    assert [e[0] for e in native] == list(range(40)) + [40]
    monkeypatch.setattr(native_fixpoint, "ENABLED", False)
    assert native == _progress(program, chain(40))
    assert native[1] == (1, after(40, 1), False) and native[-1] == (40, after(40, 40), True)


def test_progress_hears_the_kernel_between_growing_chunks(monkeypatch, native_calls):
    monkeypatch.setattr(native_fixpoint, "PROGRESS_SECONDS", 86400, raising=False)  # all fast
    program = nsl.compile(CLOSURE)
    native = _progress(program, chain(200))
    assert native_calls == [True]
    iterations = [i for i, _, done in native if not done]
    facts = [f for _, f, done in native if not done]
    assert iterations[:4] == [0, 1, 3, 7]  # chunks of 1, 2, 4, ... iterations while they are fast
    assert iterations == sorted(set(iterations)) and facts == sorted(set(facts))
    assert native[-1] == (200, after(200, 200), True)
    monkeypatch.setattr(native_fixpoint, "ENABLED", False)
    torch_loop = _progress(program, chain(200))
    assert set(native) <= set(torch_loop)  # each report is the torch loop's at that iteration


def test_progress_and_the_limit_together(monkeypatch, native_calls, loaded):
    monkeypatch.setattr(native_fixpoint, "CHUNK", 3, raising=False)
    program = nsl.compile(CLOSURE)
    native = _progress(program, chain(50), max_iterations=10)
    assert native_calls == [True] and loaded == [("path", after(50, 10))]
    monkeypatch.setattr(native_fixpoint, "ENABLED", False)
    torch_loop = _progress(program, chain(50), max_iterations=10)
    # chunks of 1 then 3 iterations; 11: the torch loop's iteration, then the error
    assert [e[0] for e in native] == [0, 1, 4, 7, 10, 11]
    assert set(native) <= set(torch_loop) and native[-1] == torch_loop[-1]


def test_the_chunk_size_follows_the_time_a_chunk_took():
    seconds = native_fixpoint.PROGRESS_SECONDS
    assert native_fixpoint._next_chunk(8, seconds / 100) == 16   # fast: at most doubles
    assert native_fixpoint._next_chunk(8, seconds * 4) == 2      # slow: fewer iterations
    assert native_fixpoint._next_chunk(8, seconds * 1000) == 1
    assert native_fixpoint._next_chunk(8, 0.0) == 16
