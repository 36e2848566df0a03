"""A worker process: one timed run of one system on one workload.

``python -m bench.datalog_worker run SYSTEM WORKLOAD TIMEOUT`` prints one JSON
line. Each run has its own process so that a slow or crashing peer cannot
hang or poison the benchmark, and no run profits from another's caches in
memory. Per process: generate the data and ``prepare`` (untimed), one
warm-up evaluation on a tiny input of the same shape (untimed: lazy imports,
allocator and kernel warm-up), then the timed evaluation under an alarm
that kills the process at TIMEOUT seconds (native code is not interruptible
from Python, the default SIGALRM action is).

Before an NSL run the worker checks that NSL works end to end (a tiny
program compiled and run); when it does not the result is ``n/a`` with the
reason. ``python -m bench.datalog_worker probe SYSTEM...`` prints, per
system, null when it is available or the reason it is not, and its version.
"""
from __future__ import annotations

import json
import signal
import sys
import time

from bench.datalog_peers import RUNNERS
from bench.datalog_workloads import FULL, QUICK

WORKLOADS = {w.name: w for w in FULL + QUICK}


def run_one(system: str, workload_name: str, timeout: float) -> dict:
    """Prepare, warm up, then time one evaluation; the result as a JSON-able dict."""
    runner = RUNNERS[system]
    workload = WORKLOADS[workload_name]
    if system == "nsl":  # probed here, in the run's own process, to pay for importing torch once
        reason = runner.available()
        if reason is not None:
            return {"status": "n/a", "error": reason}
    rows = workload.rows()
    runner.size(runner.run(runner.prepare(workload.kind, workload.warmup_rows())))
    state = runner.prepare(workload.kind, rows)
    compile_seconds = getattr(runner, "compile_seconds", None)
    if hasattr(signal, "alarm"):
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(max(1, int(timeout + 0.999)))
    t0 = time.perf_counter()
    out = runner.run(state)
    seconds = time.perf_counter() - t0
    if hasattr(signal, "alarm"):
        signal.alarm(0)
    return {"status": "ok", "seconds": seconds, "size": runner.size(out),
            "compile_seconds": compile_seconds,
            "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float | None:
    """Peak resident memory of this process (data, warm-up and run together), in MiB."""
    try:
        import resource
    except ImportError:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def probe(systems: list[str]) -> dict:
    """Availability (None or reason) and version of each system."""
    report = {}
    for name in systems:
        runner = RUNNERS[name]
        reason = runner.available()
        report[name] = {"reason": reason, "version": runner.version() if reason is None else None}
    return report


def main(argv: list[str]) -> int:
    if argv and argv[0] == "probe":
        print(json.dumps(probe(argv[1:])))
        return 0
    if len(argv) == 4 and argv[0] == "run":
        try:
            result = run_one(argv[1], argv[2], float(argv[3]))
        except Exception as exc:  # noqa: BLE001 - reported as this run's error, the parent goes on
            lines = f"{type(exc).__name__}: {exc}".splitlines()
            result = {"status": "error", "error": lines[0][:300] if lines else type(exc).__name__}
        print(json.dumps(result), flush=True)
        return 0
    sys.stderr.write("usage: python -m bench.datalog_worker run SYSTEM WORKLOAD TIMEOUT | probe SYSTEM...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
