"""The REPL's `from` paths: each resolves against the folder of the file it was written in,
and an index is loaded once per file version across inputs."""
from __future__ import annotations

import json

import numpy as np

from nsl.repl_session import ReplSession

MEMORY = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], np.float32)
PROGRAM = """\
index m(dim = 4, quant = int8, metric = ip) from "memory.npy"
input question(q: int, v: tensor[4]) from "questions.jsonl"
r(q, d) :- question(q, v), knn(m, v, 1, d, _).
"""


def _program_dir(tmp_path):
    folder = tmp_path / "a"
    folder.mkdir()
    np.save(folder / "memory.npy", MEMORY)
    (folder / "questions.jsonl").write_text(json.dumps([7, [0, 0, 1, 0]]) + "\n")
    (folder / "a.nsl").write_text(PROGRAM)
    other = tmp_path / "b"
    other.mkdir()
    (other / "z.nsl").write_text("z(1).\n")
    return folder / "a.nsl", other / "z.nsl"


def test_paths_keep_the_folder_of_their_own_file_after_another_load(tmp_path, monkeypatch):
    first, second = _program_dir(tmp_path)
    monkeypatch.chdir(tmp_path)  # neither file's folder
    s = ReplSession()
    assert s.feed(":load a/a.nsl") == ""
    assert s.feed("query r.") == "// r: 1 fact\nr(7, 2)."
    assert s.feed(":load b/z.nsl") == ""
    # the index and the input file of a/a.nsl still resolve against a/, not b/
    assert s.feed("query r.") == "// r: 1 fact\nr(7, 2)."
    assert s.errors == 0


def test_typed_paths_resolve_against_the_session_folder(tmp_path):
    first, _ = _program_dir(tmp_path)
    s = ReplSession(base_dir=str(tmp_path / "a"))
    assert s.feed(":load " + str(tmp_path / "b" / "z.nsl")) == ""
    assert s.feed(PROGRAM) == ""
    assert s.feed("query r.") == "// r: 1 fact\nr(7, 2)."


def test_an_index_is_loaded_once_across_inputs(tmp_path, monkeypatch):
    first, _ = _program_dir(tmp_path)
    from nsl.runtime import knn_op

    loads = []
    real = knn_op.load_index
    monkeypatch.setattr(knn_op, "load_index", lambda *a: loads.append(a) or real(*a))
    s = ReplSession()
    assert s.feed(f":load {first}") == ""
    for _ in range(3):
        assert s.feed("query r.") == "// r: 1 fact\nr(7, 2)."
    assert len(loads) == 1
    np.save(first.parent / "memory.npy", MEMORY[[2, 1, 0]])  # a new version is read again
    assert s.feed("query r.") == "// r: 1 fact\nr(7, 0)."
    assert len(loads) == 2 and len(s._index_cache) == 1  # the old version is dropped
