"""The torch-loop overhead harness runs and NSL agrees with the closed-form
sizes (and with DuckDB where it is installed). Correctness only: timings
belong to ``python -m bench``."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# --quick sizes: a counter 0..300, chains of 300 and 200 nodes (n·(n−1)/2 pairs),
# and single-source walks along a chain of 1000 edges (one row per node reached)
EXPECTED = {"counter-300": 301, "chain-300": 300 * 299 // 2, "chain-tagged-200": 200 * 199 // 2,
            "chain-sparse-200": 200 * 199 // 2, "chain-nonlinear-200": 200 * 199 // 2,
            "reach-1000": 1000, "reach-tagged-1000": 1000, "reach-sparse-1000": 1000,
            "dist-1000": 1000}


def test_fixpoint_bench_quick_sizes(tmp_path):
    out = tmp_path / "fixpoint.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "fixpoint", "--quick", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert sorted(report) == sorted(EXPECTED)
    for workload, size in EXPECTED.items():
        runs = report[workload]
        assert runs["nsl"]["size"] == size, workload
        assert runs["nsl"]["iterations"] > 0 and runs["nsl"]["torch_calls_per_iter"] > 0
        peer = runs.get("duckdb")
        if isinstance(peer, dict) and peer.get("size") is not None:  # not installed / no SQL form
            assert peer["size"] == size, workload
