"""``nslc run --max-iterations N`` / ``Program.run(max_iterations=N)``: a recursive
stratum may run N semi-naive iterations that derive new facts; one more is an error
at a rule that kept deriving. Both engines (the native fixpoint kernel and the torch
loop) count the same iterations and raise the same error: the kernel stops at the limit
and the torch loop runs the next iteration."""
from __future__ import annotations

import pathlib

import pytest

import nsl
from nsl.lang.diagnostics import CompileError, UsageError
from nsl.runtime import executor
from tests.helpers import assert_fails_as_golden, nslc

GOLDEN = pathlib.Path(__file__).parent / "golden" / "iteration_limit"


def chain(n: int) -> str:
    """Reachability over the chain 0 -> 1 -> ... -> n-1: n - 2 iterations derive paths."""
    edges = " ".join(f"edge({i}, {i + 1})." for i in range(n - 1))
    return f"""{edges}
path(a, b) :- edge(a, b).
path(a, c) :- path(a, b), edge(b, c).
query path.
"""


@pytest.fixture(params=["native", "torch"])
def engine(request, monkeypatch):
    if request.param == "torch":
        monkeypatch.setattr(executor, "run_native", lambda ex, stratum: False)
    return request.param


@pytest.mark.parametrize("n", [2, 3, 8, 40])
def test_the_limit_is_exactly_the_iterations_that_derive_facts(engine, n):
    program = nsl.compile(chain(n))
    unlimited = program.run().rows("path")
    assert len(unlimited) == n * (n - 1) // 2
    needed = max(n - 2, 0)
    assert program.run(max_iterations=max(needed, 1)).rows("path") == unlimited
    if needed >= 2:
        with pytest.raises(CompileError, match=f"did not reach a fixpoint within {needed - 1} iteration"):
            program.run(max_iterations=needed - 1)


def test_both_engines_give_the_same_error(monkeypatch):
    program = nsl.compile(chain(40))
    with pytest.raises(CompileError) as native:
        program.run(max_iterations=10)
    monkeypatch.setattr(executor, "run_native", lambda ex, stratum: False)
    with pytest.raises(CompileError) as torch_loop:
        program.run(max_iterations=10)
    assert native.value.render() == torch_loop.value.render()
    assert "the last iteration still derived 28 new facts, e.g. path(0, 12)" \
        in native.value.render()


def test_a_diverging_rule_stops_at_the_limit_with_an_example_fact():
    program = nsl.compile("nat(0).\nnat(y) :- nat(x), y = x + 1.\nquery nat.\n")
    with pytest.raises(CompileError) as failure:
        program.run(max_iterations=7)
    text = failure.value.render()
    assert "<input>:2:1: error: the recursive rules for 'nat' did not reach a fixpoint within 7" in text
    assert "the last iteration still derived 1 new fact, e.g. nat(8)" in text


def test_the_error_names_the_stratum_that_diverges(engine):
    # two recursive strata: only the second diverges
    source = chain(5) + "n(0).\nn(y) :- n(x), y = x + 2.\nquery n.\n"
    with pytest.raises(CompileError) as failure:
        nsl.compile(source).run(max_iterations=30)
    assert ":6:1: error: the recursive rules for 'n' did not reach" in failure.value.render()


def test_the_error_points_at_the_rule_that_kept_deriving():
    # one stratum {a, b}: the b rule and the rule reading b stop after a few
    # iterations, the last rule never does
    source = """a(0).
b(x) :- a(x), x < 3.
a(y) :- b(x), y = x + 1.
a(y) :- a(x), y = x + 10.
query a.
"""
    with pytest.raises(CompileError) as failure:
        nsl.compile(source).run(max_iterations=12)
    text = failure.value.render()
    assert "<input>:4:1: error: the recursive rules for 'a', 'b' did not reach" in text, text


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10"])
def test_a_bad_limit_is_refused(bad):
    with pytest.raises(UsageError, match="max_iterations must be a positive integer"):
        nsl.compile(chain(3)).run(max_iterations=bad)


@pytest.mark.parametrize("name, limit", [("counter", "20"), ("deep_chain", "5")])
def test_cli_diagnostic_matches_golden(name, limit):
    assert_fails_as_golden("run", GOLDEN, name, "--max-iterations", limit)


def test_cli_runs_to_the_fixpoint_within_the_limit_and_refuses_a_bad_one():
    proc = nslc("run", "--max-iterations", "6", "deep_chain.nsl", cwd=str(GOLDEN))
    assert proc.returncode == 0 and proc.stdout.startswith("// path: 28 facts"), proc.stderr
    proc = nslc("run", "--max-iterations", "zero", "deep_chain.nsl", cwd=str(GOLDEN))
    assert proc.returncode == 2 and "--max-iterations" in proc.stderr and "Traceback" not in proc.stderr
