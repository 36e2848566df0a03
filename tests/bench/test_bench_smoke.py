"""The Datalog benchmark harness runs and NSL agrees with sqlite3 (sizes only).

Correctness only: timings belong to ``python -m bench``, never to tests.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_nsl_and_sqlite_agree_on_smallest_chain(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "datalog", "--quick", "--repeat", "1",
         "--only", "tc-chain", "--systems", "nsl,sqlite3", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    # NSL runs these programs end to end: a reason here is a regression, not a skip
    assert report["systems"]["nsl"]["reason"] is None, report["systems"]["nsl"]["reason"]
    (row,) = report["results"]  # --quick has one chain, the smallest
    assert row["mismatch"] is None, row["mismatch"]
    expected = report["workloads"][row["workload"]]["expected_size"]
    sizes = {system: runs[0].get("size") for system, runs in row["runs"].items()}
    assert sizes["nsl"] == sizes["sqlite3"] == expected, proc.stdout
