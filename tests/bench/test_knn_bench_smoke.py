"""The knn benchmark harness runs end to end on a tiny index and reports
sensible rows. Correctness only: timings belong to ``python -m bench``."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_knn_bench_reports_every_peer_and_batch(tmp_path):
    out = tmp_path / "knn.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "knn", "--sizes", "3000", "--dims", "40",
         "--batches", "1,5", "--threads", "1", "--peers", "nsl,nsl-rerank,numpy",
         "--min-time", "0", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = json.loads(out.read_text())
    assert sorted((r["peer"], r["batch"]) for r in rows) == [
        ("nsl", 1), ("nsl", 5), ("nsl-rerank", 1), ("nsl-rerank", 5), ("numpy", 1), ("numpy", 5)]
    for row in rows:
        assert row["qps"] > 0 and row["line_gbps"] > 0
        # the readings around a measurement are among those the best is taken from
        assert 0 < row["adjacent_line_gbps"] <= row["line_gbps"]
        bytes_per_query = 3000 * 40 * (1 if row["peer"].startswith("nsl") else 4)
        assert row["gbps"] == pytest.approx(row["qps"] * bytes_per_query / 1e9)
    recall = {r["peer"]: r["recall"] for r in rows}
    assert recall["numpy"] == 1.0          # exact float search is the truth itself
    assert recall["nsl-rerank"] == 1.0     # 4·k float re-ranking recovers it here
    assert recall["nsl"] >= 0.9
    assert "stream read" in proc.stdout and "×line" in proc.stdout and "×adj" in proc.stdout
