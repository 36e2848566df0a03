"""The retrieval example: its neighbours are the exact ones, and its data regenerate."""
from __future__ import annotations

import importlib.util
import json
import pathlib
import re

import numpy as np

from tests.helpers import REPO

FOLDER = pathlib.Path(REPO) / "examples" / "retrieval"


def test_recall_is_the_exact_cosine_top_5():
    memory = np.load(FOLDER / "memory.npy")
    unit = memory / np.linalg.norm(memory, axis=1, keepdims=True)
    expected = (FOLDER / "expected.txt").read_text()
    recall = [(int(q), int(d), float(s)) for q, d, s in
              re.findall(r"^recall\((\d+), (\d+), ([0-9.e-]+)\)\.$", expected, re.M)]
    for line in (FOLDER / "questions.jsonl").read_text().splitlines():
        q, vector = json.loads(line)
        query = np.array(vector) / np.linalg.norm(vector)
        exact = unit @ query
        mine = {d: s for qq, d, s in recall if qq == q}
        assert set(mine) == set(np.argsort(-exact)[:5].tolist())
        for d, s in mine.items():  # int8 scores are within a few thousandths of exact ones
            assert abs(s - exact[d]) < 0.01


def test_make_data_regenerates_the_shipped_files(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_data", FOLDER / "make_data.py")
    make_data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_data)
    monkeypatch.setattr(make_data, "HERE", tmp_path)
    make_data.main()
    for name in ("memory.npy", "doc_topic.csv", "questions.jsonl"):
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name
    assert sum(p.stat().st_size for p in FOLDER.iterdir()) < 100_000
