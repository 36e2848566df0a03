"""Every example runs with `nslc run` and prints exactly its `expected.txt`."""
from __future__ import annotations

import json
import re
import pathlib

import pytest

from tests.helpers import REPO, nslc

EXAMPLES = sorted(p for p in (pathlib.Path(REPO) / "examples").glob("*/*.nsl")
                  if (p.parent / "expected.txt").exists())


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_output_matches_expected(program):
    proc = nslc("run", program.name, cwd=str(program.parent))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (program.parent / "expected.txt").read_text()


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_json_agrees_with_text(program):
    proc = nslc("run", program.name, "--json", cwd=str(program.parent))
    assert proc.returncode == 0, proc.stderr
    relations = json.loads(proc.stdout)["relations"]
    expected = (program.parent / "expected.txt").read_text()
    counts = {m.group(1): int(m.group(2)) for m in re.finditer(r"^// (\w+): (\d+) facts?$", expected, re.M)}
    assert {name: len(rows) for name, rows in relations.items()} == counts
    verdicts = re.findall(r"^// (\w+) (\w+): ([\w-]+)", expected, re.M)
    assert [(v["kind"], v["name"], v["status"]) for v in json.loads(proc.stdout)["verdicts"]] == verdicts


def test_flights_reachability_matches_networkx():
    nx = pytest.importorskip("networkx")
    folder = pathlib.Path(REPO) / "examples" / "graph"
    graph = nx.DiGraph([tuple(line.split(",")) for line in (folder / "flights.csv").read_text().split()])
    proc = nslc("run", "flights.nsl", "--json", cwd=str(folder))
    rows = json.loads(proc.stdout)["relations"]["reachable"]
    assert sorted(r["args"][1] for r in rows) == sorted(nx.descendants(graph, "AMS"))
