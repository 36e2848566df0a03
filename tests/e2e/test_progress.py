"""Progress of a run: ``Program.run(progress=callback)`` gets a ``StratumProgress``
per stratum start, iteration and completion; ``nslc run --progress`` prints them on
standard error and leaves standard output as it is."""
from __future__ import annotations

import io

import pytest

import nsl
from nsl.commands import ProgressPrinter
from nsl.runtime import StratumProgress, executor, native_fixpoint
from tests.e2e.test_iteration_limit import chain
from tests.helpers import nslc

PROGRAM = chain(8) + "long(a) :- path(a, b), b - a > 4.\nquery long.\n"


@pytest.fixture(params=["native", "torch"])
def engine(request, monkeypatch):
    if request.param == "torch":
        monkeypatch.setattr(executor, "run_native", lambda ex, stratum: False)
    else:  # the kernel reports after every chunk of iterations: make chunks one iteration
        monkeypatch.setattr(native_fixpoint, "PROGRESS_SECONDS", 0)
    return request.param


def test_each_stratum_reports_its_start_iterations_and_end(engine):
    events = []
    result = nsl.compile(PROGRAM).run(progress=lambda p: events.append((p, p.facts)))
    assert all(isinstance(p, StratumProgress) for p, _ in events)
    by_stratum = {}
    for p, facts in events:
        by_stratum.setdefault(p.index, []).append((p, facts))
    assert sorted(by_stratum) == list(range(events[0][0].strata))
    path = next(reports for reports in by_stratum.values() if reports[0][0].relations == ("path",))
    first, last = path[0], path[-1]
    assert first[0].iteration == 0 and not first[0].done and first[1] == 7   # the edges, copied
    assert last[0].done and last[1] == len(result.rows("path")) == 28
    assert last[0].iteration == 7                                           # 6 deriving, 1 empty
    assert [p.done for p, _ in path].count(True) == 1
    assert [p.iteration for p, _ in path] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert [facts for _, facts in path] == [7, 13, 18, 22, 25, 27, 28, 28]


def test_the_native_kernel_reports_between_chunks_of_iterations(monkeypatch):
    """Chunks of 1, 2, 4, ... iterations while they take well under PROGRESS_SECONDS (here
    a day, so the test does not depend on the machine's speed)."""
    monkeypatch.setattr(native_fixpoint, "PROGRESS_SECONDS", 86400)
    events = []
    nsl.compile(chain(40)).run(
        progress=lambda p: events.append((p.iteration, p.facts, p.done)))
    paths = [sum(39 - k for k in range(i + 1)) for i in range(39)]  # after i iterations
    assert events[:-1] == [(i, paths[i], False) for i in (0, 1, 3, 7, 15, 31)]
    assert events[-1] == (39, paths[38], True)  # 38 derive, the last finds nothing


def test_cli_prints_progress_on_stderr_only(tmp_path):
    source = tmp_path / "chain.nsl"
    source.write_text(PROGRAM)
    plain = nslc("run", str(source))
    shown = nslc("run", "--progress", str(source))
    assert plain.returncode == shown.returncode == 0
    assert shown.stdout == plain.stdout and plain.stderr == ""
    lines = shown.stderr.splitlines()
    assert any(line.startswith("stratum ") and "(path): 28 facts after 7 iterations, " in line
               for line in lines), shown.stderr
    assert all(line.startswith("stratum ") for line in lines), shown.stderr


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_the_line_is_rewritten_in_place_a_few_times_a_second():
    out, times = _Terminal(), iter([0.0, 0.1, 0.25, 0.3, 0.5, 0.9])
    printer = ProgressPrinter(out, clock=lambda: next(times))
    store = {"r": [1, 2, 3]}
    for iteration in range(5):  # at 0, 0.1, 0.25, 0.3, 0.5 s
        printer(StratumProgress(0, 2, ("r",), iteration, False, store))
    printer(StratumProgress(0, 2, ("r",), 5, True, store))  # at 0.9 s
    assert out.getvalue() == ("\r\033[Kstratum 1/2 (r): iteration 2, 3 facts"
                              "\r\033[Kstratum 1/2 (r): iteration 4, 3 facts"
                              "\r\033[Kstratum 1/2 (r): 3 facts after 5 iterations, 0.90 s\n")


def test_in_a_log_a_line_every_ten_seconds():
    out, times = io.StringIO(), iter([0.0, 4.0, 10.5, 12.0, 30.0])
    printer = ProgressPrinter(out, clock=lambda: next(times))
    store = {"r": []}
    for iteration in range(4):
        printer(StratumProgress(3, 4, ("r",), iteration, False, store))
    printer(StratumProgress(3, 4, ("r",), 4, True, store))
    assert out.getvalue() == ("stratum 4/4 (r): iteration 2, 0 facts\n"
                              "stratum 4/4 (r): 0 facts after 4 iterations, 30.00 s\n")
