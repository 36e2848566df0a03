"""``python -m bench fixpoint``: the per-iteration cost of the torch fixpoint loop.

Recursive strata that the native kernel does not take (tags, arithmetic in
heads, non-linear recursion, sparse id ranges) run the generic semi-naive loop
of ``runtime/executor.py``; deep recursions there pay its fixed cost once per
iteration. Each workload below forces that loop, and the harness reports, per
workload: iterations, result size, total time (best of R in-process runs of
``execute``, after one untimed warm-up), ms per iteration, torch calls per
iteration (counted under a ``TorchFunctionMode``, attribute reads excluded;
a noise-free proxy for the fixed cost) and, where SQL can say it, DuckDB's
recursive CTE time with ratio = DuckDB / NSL (> 1: NSL faster).
How to read the numbers: docs/benchmarks.md, "The torch loop's per-iteration cost".
"""
from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import time
from dataclasses import dataclass, field

SPARSE = 1_000_003  # id multiplier of the sparse workloads: no bitmap, no direct addressing

TC = """input edge(src: int, dst: int)
path(a, b) :- edge(a, b).
path(a, c) :- path(a, b), edge(b, c).
"""
TC_NONLINEAR = """input edge(src: int, dst: int)
path(a, b) :- edge(a, b).
path(a, c) :- path(a, b), path(b, c).
"""
SQL_TC = """CREATE TABLE result AS
WITH RECURSIVE path(a, b) AS (
    SELECT src, dst FROM edge
  UNION
    SELECT path.a, edge.dst FROM path JOIN edge ON path.b = edge.src
) SELECT a, b FROM path"""


@dataclass
class Workload:
    name: str
    program: str
    rel: str                      # the relation whose size is reported
    n: int                        # depth parameter
    edges: list = field(default_factory=list)
    tagged: bool = False          # run under a tag-carrying provenance
    expected: int | None = None   # closed-form result size
    sql: str | None = None        # DuckDB peer: "tc" (edge table + SQL_TC) or a full query


def counter(n: int) -> Workload:
    prog = f"num(0).\nnum(m) :- num(n), n < {n}, m = n + 1.\n"
    sql = (f"CREATE TABLE result AS WITH RECURSIVE num(n) AS (SELECT 0 UNION "
           f"SELECT n + 1 FROM num WHERE n < {n}) SELECT n FROM num")
    return Workload(f"counter-{n}", prog, "num", n, expected=n + 1, sql=sql)


def chain(n: int, tagged=False, scale=1, nonlinear=False) -> Workload:
    edges = [(i * scale, (i + 1) * scale) for i in range(n - 1)]
    kind = "chain-nonlinear" if nonlinear else "chain-sparse" if scale != 1 else "chain"
    name = f"{kind}{'-tagged' if tagged else ''}-{n}"
    return Workload(name, TC_NONLINEAR if nonlinear else TC, "path", n, edges, tagged,
                    expected=n * (n - 1) // 2, sql=None if nonlinear else "tc")


REACH = """input edge(src: int, dst: int)
reach(b) :- edge(0, b).
reach(c) :- reach(b), edge(b, c).
"""
DIST = """input edge(src: int, dst: int, w: int)
dist(b, d) :- edge(0, b, d).
dist(c, d) :- dist(b, d1), edge(b, c, w), d = d1 + w, d < 1000000000.
"""


def reach(n: int, tagged=False, scale=1) -> Workload:
    """Single-source reachability along a chain: a one-row delta per iteration, one probe."""
    edges = [(i * scale, (i + 1) * scale) for i in range(n)]
    kind = "reach-sparse" if scale != 1 else "reach"
    sql = None if tagged or scale != 1 else (
        "CREATE TABLE result AS WITH RECURSIVE reach(b) AS (SELECT dst FROM edge WHERE src = 0 "
        "UNION SELECT edge.dst FROM reach JOIN edge ON reach.b = edge.src) SELECT b FROM reach")
    return Workload(f"{kind}{'-tagged' if tagged else ''}-{n}", REACH, "reach", n, edges, tagged,
                    expected=n, sql=None if sql is None else "reach:" + sql)


def dist(n: int) -> Workload:
    """Distances along a chain: one-row deltas whose two columns both grow (the bitmap's
    range grows every iteration until the relation leaves it)."""
    edges = [(i, i + 1, 1) for i in range(n)]
    return Workload(f"dist-{n}", DIST, "dist", n, edges, expected=n)


FULL = (counter(2000), chain(2000), chain(1000, tagged=True), chain(1000, scale=SPARSE),
        chain(500, nonlinear=True), reach(5000), reach(5000, tagged=True),
        reach(5000, scale=SPARSE), dist(5000))
QUICK = (counter(300), chain(300), chain(200, tagged=True), chain(200, scale=SPARSE),
         chain(200, nonlinear=True), reach(1000), reach(1000, tagged=True),
         reach(1000, scale=SPARSE), dist(1000))


def tagged_bool():
    """Boolean semantics with every tag materialized: the path a probabilistic semiring takes
    (sorted runs, tag ⊕ on duplicates, no native kernel), with results equal to plain bool's."""
    from nsl.runtime.provenance.tagged_bool import TaggedBoolProvenance
    return TaggedBoolProvenance()


class TorchCalls:
    """Counts torch calls (functions, methods, operators; not attribute reads)."""

    def __init__(self):
        from torch.overrides import TorchFunctionMode

        counts = collections.Counter()

        class Mode(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                name = getattr(func, "__name__", str(func))
                if name != "__get__":
                    counts[name] += 1
                return func(*args, **(kwargs or {}))

        self.counts, self.mode = counts, Mode()


def _module_and_inputs(w: Workload):
    import nsl
    prog = nsl.compile(w.program)
    if w.tagged:  # facts with probability 1 instead of inputs: tags materialized from the start
        import dataclasses
        from nsl.compiler import ir
        rows = tuple(ir.FactRow(r, 1.0) for r in w.edges)
        return dataclasses.replace(prog.ir, facts=prog.ir.facts + (ir.Facts("edge", rows),)), {}
    return prog.ir, ({"edge": w.edges} if w.edges else {})


def run_nsl(w: Workload, repeat: int, count: bool) -> dict:
    """Time ``execute`` (inputs as rows → stored result) with the native kernel off."""
    from nsl.runtime import native_fixpoint
    from nsl.runtime.executor import Executor
    from nsl.runtime.provenance import make_provenance

    module, inputs = _module_and_inputs(w)

    def once():
        prov = tagged_bool() if w.tagged else make_provenance(module.provenance)
        ex = Executor(module, prov)
        ex.load(inputs)
        for stratum in module.strata:
            ex.run_stratum(stratum)
        return ex

    saved, native_fixpoint.ENABLED = native_fixpoint.ENABLED, False
    try:
        ex = once()  # warm-up: lazy imports, first-call costs
        size = ex.store[w.rel].consolidated().n
        times, cpu = [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            ex = once()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        calls = None
        if count:
            counter_ = TorchCalls()
            with counter_.mode:
                once()
            calls = sum(counter_.counts.values())
            top = counter_.counts.most_common(12)
    finally:
        native_fixpoint.ENABLED = saved
    it = ex.iterations
    out = {"size": size, "iterations": it, "best_s": min(times), "median_s": statistics.median(times),
           "ms_per_iter": min(times) / max(it, 1) * 1e3, "cpu_best_s": min(cpu),
           "cpu_ms_per_iter": min(cpu) / max(it, 1) * 1e3}
    if calls is not None:
        out["torch_calls_per_iter"] = calls / max(it, 1)
        out["top_calls_per_iter"] = {k: round(v / max(it, 1), 2) for k, v in top}
    return out


def run_duckdb(w: Workload, repeat: int) -> dict | None:
    try:
        import duckdb
    except ImportError:
        return None
    if w.sql is None:
        return None
    if w.sql == "tc":
        from bench.datalog_peers import DuckDb
        runner = DuckDb()
        state = runner.prepare("tc", w.edges)

        def once():
            return runner.run(state)
    elif w.sql.startswith("reach:"):  # the chain's edges bulk-inserted, then the query
        src, dst = [e[0] for e in w.edges], [e[1] for e in w.edges]

        def once():
            con = duckdb.connect(":memory:")
            con.execute("CREATE TABLE edge(src BIGINT, dst BIGINT)")
            con.execute("INSERT INTO edge SELECT unnest($1), unnest($2)", [src, dst])
            con.execute(w.sql[len("reach:"):])
            return con
    else:
        def once():
            con = duckdb.connect(":memory:")
            con.execute(w.sql)
            return con
    size = once().execute("SELECT count(*) FROM result").fetchone()[0]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        once()
        times.append(time.perf_counter() - t0)
    return {"size": size, "best_s": min(times), "median_s": statistics.median(times)}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench fixpoint", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=5, metavar="R", help="timed runs per workload (best reported; default 5)")
    p.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    p.add_argument("--only", action="append", metavar="PREFIX", help="workloads whose name starts with this (repeatable)")
    p.add_argument("--no-count", action="store_true", help="skip the torch-call count (one extra run per workload)")
    p.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB peer")
    p.add_argument("--threads", type=int, metavar="T",
                   help="torch intra-op threads (default: torch's); 1 steadies timings on a loaded machine")
    p.add_argument("--json", metavar="OUT", help="also write the results to this JSON file")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    workloads = [w for w in (QUICK if args.quick else FULL)
                 if not args.only or any(w.name.startswith(p) for p in args.only)]
    header = ("workload", "iterations", "size", "nsl total", "ms/iter", "cpu ms/iter",
              "torch calls/iter", "duckdb", "ratio")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    results, status = {}, 0
    for w in workloads:
        r = run_nsl(w, args.repeat, not args.no_count)
        d = None if args.no_duckdb else run_duckdb(w, args.repeat)
        results[w.name] = {"nsl": r, "duckdb": d}
        bad = (w.expected is not None and r["size"] != w.expected) or (d and d["size"] != r["size"])
        status |= bool(bad)
        calls = f"{r['torch_calls_per_iter']:.1f}" if "torch_calls_per_iter" in r else "-"
        peer = f"{d['best_s']:.3f} s" if d else "-"
        ratio = f"{d['best_s'] / r['best_s']:.2f}x" if d else "-"
        size = f"{r['size']}" + (" MISMATCH" if bad else "")
        print(f"| {w.name} | {r['iterations']} | {size} | {r['best_s']:.3f} s | "
              f"{r['ms_per_iter']:.3f} | {r['cpu_ms_per_iter']:.3f} | {calls} | {peer} | {ratio} |", flush=True)
    print("\nnsl total: best of R runs of execute() with the native kernel off; ms/iter = total / "
          "iterations; cpu ms/iter: the same with process CPU time (steadier on a loaded machine; "
          "above ms/iter where torch used several threads); ratio = duckdb / nsl best wall time "
          "(> 1: nsl faster)")
    if not args.no_count:
        for name, res in results.items():
            print(f"  {name}: {res['nsl'].get('top_calls_per_iter')}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
    return status


if __name__ == "__main__":
    sys.exit(main())
