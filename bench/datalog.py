"""``python -m bench datalog``: NSL against clingo, DuckDB, sqlite3 and networkx.

For each workload (bench/datalog_workloads.py) and each system
(bench/datalog_peers.py) the harness runs R timed evaluations, each in its
own worker process (bench/datalog_worker.py) under a timeout, checks that
every system derived a result of the same size (correctness first: a row
whose sizes disagree is aborted loudly and the exit status is 1), and prints
a table of median wall times with ratio = peer time / NSL time (> 1: NSL is
faster). Method and what is timed per system: docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
from importlib import metadata

from bench.datalog_peers import PEERS, RUNNERS
from bench.datalog_workloads import FULL, QUICK, Workload

# time a worker may spend outside the timed region (imports, data, compile, warm-up)
SETUP_ALLOWANCE_S = 120.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench datalog", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, metavar="R", help="timed runs per system and workload (default 3)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S", help="limit per timed run in seconds (default 60)")
    p.add_argument("--quick", action="store_true", help="small sizes only (a smoke test)")
    p.add_argument("--only", action="append", metavar="WORKLOAD",
                   help="run only workloads whose name starts with this (repeatable), e.g. tc-chain-2000, sg")
    p.add_argument("--systems", default=",".join(RUNNERS), metavar="LIST",
                   help=f"comma-separated systems to run (default {','.join(RUNNERS)})")
    p.add_argument("--json", metavar="OUT", help="also write the raw results to this JSON file")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    unknown = [s for s in args.systems.split(",") if s not in RUNNERS]
    if unknown:
        p.error(f"unknown system(s) {', '.join(unknown)} (known: {', '.join(RUNNERS)})")
    return args


def machine_info() -> dict:
    """CPU, cores, OS and the versions that matter for the numbers."""
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    versions = {}
    for dist in ("torch", "numpy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        commit = "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform(),
            "python": platform.python_version(), **versions, "nsl_commit": commit}


def _worker(args: list[str], timeout: float) -> tuple[int | None, str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", "bench.datalog_worker", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, "", ""
    return proc.returncode, proc.stdout, proc.stderr


def probe(systems: list[str]) -> dict:
    """Which peers are installed, and their versions. NSL is probed end to end in each of its
    worker processes instead (compiling and running a tiny program), so a run imports torch once."""
    report = {}
    for s in systems:
        runner = RUNNERS[s]
        reason = runner.available() if s != "nsl" else None
        report[s] = {"reason": reason, "version": runner.version() if reason is None else None}
    return report


def run_once(system: str, workload: Workload, timeout: float) -> dict:
    """One timed run in a fresh worker process."""
    rc, out, err = _worker(["run", system, workload.name, str(timeout)], timeout + SETUP_ALLOWANCE_S)
    if rc is None:
        return {"status": "timeout", "error": f"worker exceeded {timeout + SETUP_ALLOWANCE_S:.0f} s including setup"}
    if rc == -getattr(signal, "SIGALRM", 14):
        return {"status": "timeout", "error": f"> {timeout:g} s"}
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = (err.strip().splitlines() or [f"exit status {rc}"])[-1]
        return {"status": "error", "error": f"worker died (exit {rc}): {tail[:300]}"}


def _say(text: str = "") -> None:
    print(text, flush=True)


def check_sizes(workload: Workload, first: dict[str, dict]) -> str | None:
    """None when every system that finished agrees (and matches the closed form); else why not."""
    sizes = {s: r["size"] for s, r in first.items() if r.get("status") == "ok"}
    expected = workload.expected_size()
    wrong = {s: n for s, n in sizes.items() if expected is not None and n != expected}
    if wrong or len(set(sizes.values())) > 1:
        listed = ", ".join(f"{s}={n}" for s, n in sizes.items())
        return f"result sizes disagree: {listed}" + (f" (expected {expected})" if expected is not None else "")
    return None


def bench_workload(workload: Workload, systems: list[str], args, unavailable: dict[str, str]) -> dict:
    """All runs of one row: first one run per system (correctness), then the timing repeats.

    A system found not available (``n/a``) is recorded in ``unavailable`` and not run again."""
    runs: dict[str, list[dict]] = {s: [] for s in systems}
    for rep in range(args.repeat):
        for system in systems:
            if rep and (not runs[system] or runs[system][-1]["status"] != "ok"):
                continue  # a timeout or error once is a timeout or error every time
            if system in unavailable:
                runs[system].append({"status": "n/a", "error": unavailable[system]})
                continue
            result = run_once(system, workload, args.timeout)
            runs[system].append(result)
            if result["status"] == "n/a":
                unavailable[system] = result["error"]
                _say(f"  note: {system}: not available ({result['error']})")
                continue
            shown = (f"{result['seconds']:.3f} s, size {result['size']}" if result["status"] == "ok"
                     else f"{result['status']}: {result.get('error', '')}")
            _say(f"  {workload.name:<16} {system:<9} run {rep + 1}/{args.repeat}: {shown}")
        if rep == 0:
            mismatch = check_sizes(workload, {s: r[0] for s, r in runs.items() if r})
            if mismatch:
                _say("!" * 78)
                _say(f"!!! {workload.name}: {mismatch}")
                _say(f"!!! row aborted: no timings are reported for {workload.name}")
                _say("!" * 78)
                return {"workload": workload.name, "mismatch": mismatch, "runs": runs}
    return {"workload": workload.name, "mismatch": None, "runs": runs}


def summarize(runs: list[dict]) -> dict:
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        return {"status": runs[0]["status"] if runs else "skipped",
                "error": runs[0].get("error") if runs else None}
    def med(key):
        values = [r[key] for r in ok if r.get(key) is not None]
        return statistics.median(values) if values else None
    return {"status": "ok", "median": med("seconds"), "size": ok[0]["size"], "runs": len(ok),
            "compile_median": med("compile_seconds"),
            "peak_rss_mb": max((r.get("peak_rss_mb") or 0.0) for r in ok) or None}


def _cell(summary: dict, nsl: dict | None, timeout: float) -> str:
    if summary["status"] == "timeout":
        return f"> {timeout:g} s"
    if summary["status"] != "ok":
        return summary["status"]
    text = f"{summary['median']:.3f} s"
    if nsl is not None and nsl.get("status") == "ok":
        text += f" ({summary['median'] / nsl['median']:.2f}x)"
    return text


def render_table(rows: list[dict], systems: list[str], timeout: float) -> list[str]:
    """Markdown table: one row per workload, median per system, ratio peer/nsl in parentheses."""
    header = ["workload", "result size"] + systems
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        if row["mismatch"]:
            lines.append(f"| {row['workload']} | MISMATCH | " + " | ".join("aborted" for _ in systems) + " |")
            continue
        sums = {s: summarize(row["runs"].get(s, [])) for s in systems}
        nsl = sums.get("nsl")
        size = next((str(v["size"]) for v in sums.values() if v["status"] == "ok"), "?")
        cells = [_cell(sums[s], nsl if s != "nsl" else None, timeout) for s in systems]
        lines.append(f"| {row['workload']} | {size} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; exit status 1 on a result mismatch."""
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    workloads = [w for w in (QUICK if args.quick else FULL)
                 if not args.only or any(w.name.startswith(o) for o in args.only)]
    if not workloads:
        _say(f"no workload matches --only {' '.join(args.only)}; "
             f"known: {', '.join(w.name for w in (QUICK if args.quick else FULL))}")
        return 2
    wanted = args.systems.split(",")
    machine = machine_info()
    _say("NSL Datalog benchmark")
    _say(f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['os']}")
    _say(f"python {machine['python']}, torch {machine['torch']}, numpy {machine['numpy']}, "
         f"nsl at {machine['nsl_commit']}")
    _say(f"method: median of {args.repeat} run(s), each in a fresh process after an untimed warm-up, "
         f"timeout {args.timeout:g} s per run")
    status = probe(wanted)
    systems, notes = [], []
    for s in wanted:
        reason = status[s]["reason"]
        if reason is None:
            systems.append(s)
            _say(f"  {s:<9} {status[s]['version']}")
        else:
            notes.append(f"{s}: skipped, {reason}")
            _say(f"  note: {notes[-1]}")
    _say()
    rows, unavailable = [], {}
    for w in workloads:
        _say(f"{w.name}: {w.description}")
        rows.append(bench_workload(w, systems, args, unavailable))
    notes += [f"{s}: not available ({why})" for s, why in unavailable.items()]
    status.update({s: {"reason": why, "version": None} for s, why in unavailable.items()})
    _say()
    table = render_table(rows, systems, args.timeout)
    for line in table:
        _say(line)
    _say()
    _say("cells: median wall time of the evaluation; (Nx) = peer time / nsl time, > 1 means NSL is faster")
    for row in rows:
        nsl = summarize(row["runs"].get("nsl", []))
        if nsl.get("compile_median") is not None:
            _say(f"  nsl compile ({row['workload']}, not included above): {nsl['compile_median']:.3f} s")
    if rows and not all(r["mismatch"] for r in rows):
        _say("  peak RSS per process, MiB (max over workloads): " + ", ".join(
            f"{s} {max((summarize(r['runs'].get(s, [])).get('peak_rss_mb') or 0) for r in rows):.0f}"
            for s in systems))
    for note in notes:
        _say(f"  {note}")
    mismatches = [r["workload"] for r in rows if r["mismatch"]]
    if mismatches:
        _say(f"RESULT MISMATCH in: {', '.join(mismatches)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"machine": machine, "systems": status, "notes": notes,
                       "config": {"repeat": args.repeat, "timeout": args.timeout, "quick": args.quick},
                       "workloads": {w.name: {"description": w.description, "expected_size": w.expected_size()}
                                     for w in workloads},
                       "results": rows, "table": table}, f, indent=1)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
