"""``index`` + ``knn`` end to end: the library, the CLI, JSONL vectors, run-time errors."""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest
import torch

import nsl
from nsl.lang.diagnostics import CompileError
from tests.helpers import nslc

MEMORY = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0.9, 0.1, 0, 0]], np.float32)

PROGRAM = """\
index memory(dim = 4, quant = int8, metric = {metric}) from "{source}"
input question(q: int, v: tensor[4]) from "questions.jsonl"
near(q, d) :- question(q, v), knn(memory, v, 2, d, _).
close(q, n) :- question(q, v), n = count(d: knn(memory, v, 4, d, s), s > 0.5).
query near.
query close.
"""


def write(tmp_path, metric="cosine", source="memory.npy", questions=None, memory=MEMORY):
    np.save(tmp_path / "memory.npy", memory)
    rows = questions if questions is not None else [[1, [1, 0, 0, 0]], [2, [0, 0.2, 2, 0]]]
    (tmp_path / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = tmp_path / "p.nsl"
    path.write_text(PROGRAM.format(metric=metric, source=source))
    return path


def test_library_run_reads_jsonl_vectors_and_caches_the_index(tmp_path):
    prog = nsl.compile(write(tmp_path))
    result = prog.run()
    assert result["near"] == [(1, 0), (1, 3), (2, 1), (2, 2)]
    assert result["close"] == [(1, 2), (2, 1)]
    cached = dict(prog._index_cache)
    prog.run()
    assert prog._index_cache == cached and len(cached) == 1  # loaded once
    np.save(tmp_path / "memory.npy", MEMORY[[2, 1, 0, 3]])  # a new file version is reloaded
    assert prog.run()["near"] == [(1, 2), (1, 3), (2, 0), (2, 1)]


def test_facts_from_python_as_tensors_or_lists(tmp_path):
    prog = nsl.compile(write(tmp_path))
    facts = {"question": [(7, torch.tensor([0.0, 1.0, 0.0, 0.0])), (8, [0.0, 0.1, 0.5, 0.0])]}
    assert prog.run(facts=facts)["near"] == [(7, 1), (7, 3), (8, 1), (8, 2)]
    with pytest.raises(CompileError, match=r"tensor\[4\], but its values have shape \[3\]"):
        prog.run(facts={"question": [(1, [1.0, 2.0, 3.0])]})


def test_index_directory_keeps_its_ids(tmp_path):
    write(tmp_path)
    np.save(tmp_path / "ids.npy", np.array([100, 101, 102, 103]))
    proc = nslc("index", "build", "idx", "--from", "memory.npy", "--metric", "cosine",
                "--ids", "ids.npy", cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "p.nsl").write_text(PROGRAM.format(metric="cosine", source="idx"))
    assert nsl.compile(tmp_path / "p.nsl").run()["near"] == [(1, 100), (1, 103), (2, 101), (2, 102)]


def test_a_damaged_log_tail_is_a_warning_at_the_index_declaration(tmp_path):
    """A reader skips a log record that is torn or fails its checksum (the rows it
    held are not searched): `nslc run` says so at the declaration and still runs."""
    write(tmp_path)
    index = nsl.VectorIndex.build(MEMORY[:3], "cosine")
    index.save(tmp_path / "idx")
    index.close()
    writer = nsl.VectorIndex.open(tmp_path / "idx")
    writer.add(MEMORY[3:])  # row 3 lives only in the log
    writer.close()
    log = tmp_path / "idx" / "wal.log"
    data = bytearray(log.read_bytes())
    data[-4:] = b"XXXX"  # the record keeps its length and fails its checksum
    log.write_bytes(bytes(data))
    (tmp_path / "p.nsl").write_text(PROGRAM.format(metric="cosine", source="idx"))

    proc = nslc("run", "p.nsl", cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("p.nsl:1:1: warning: index 'memory': the last record of its "
                                  f"write-ahead log ({len(data)} bytes from byte 0) is incomplete "
                                  "or fails its checksum and was skipped"), proc.stderr
    assert "near(1, 0).\nnear(1, 1).\n" in proc.stdout  # not row 3 (0.9, 0.1, 0, 0): skipped
    assert log.read_bytes() == bytes(data)  # a program only reads
    repl = nslc("repl", "p.nsl", input="query near(1, d).\n", cwd=str(tmp_path))
    assert "p.nsl:1:1: warning: index 'memory': the last record" in repl.stdout + repl.stderr
    assert "near(1, 1)." in repl.stdout, repl.stdout + repl.stderr

    result = nsl.compile(tmp_path / "p.nsl").run()
    assert [w.severity for w in result.warnings] == ["warning"]
    assert result.warnings[0].span.line == 1
    (tmp_path / "clean").mkdir()
    assert nsl.compile(write(tmp_path / "clean")).run().warnings == []


@pytest.mark.parametrize("setup, message", [
    (dict(source="missing.npy"), "p.nsl:1:1: error: index file 'missing.npy' does not exist"),
    (dict(memory=np.zeros((3, 5), np.float32)),
     "p.nsl:1:1: error: index 'memory' is declared with dim = 4, but 'memory.npy' holds vectors of "
     "dimension 5"),
    (dict(source="questions.jsonl"),
     "p.nsl:1:1: error: 'questions.jsonl' is neither a .npy file of vectors nor an index directory"),
    (dict(questions=[[1, [1, 0, 0]]]),
     "questions.jsonl:1:13: error: expected tensor[4], found a list of 3 numbers (dimension 1 must have 4)"),
    (dict(questions=[[1, [1, 0, "x", 0]]]),
     "questions.jsonl:1:12: error: expected tensor[4], found \"x\" where a number belongs"),
])
def test_run_time_errors_are_positioned(tmp_path, setup, message):
    write(tmp_path, **setup)
    proc = nslc("run", "p.nsl", cwd=str(tmp_path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith(message) or "/" + message in first, proc.stderr


def test_wrong_metric_for_an_index_directory(tmp_path):
    write(tmp_path)
    assert nslc("index", "build", "idx", "--from", "memory.npy", "--metric", "ip",
                cwd=str(tmp_path)).returncode == 0
    (tmp_path / "p.nsl").write_text(PROGRAM.format(metric="cosine", source="idx"))
    proc = nslc("run", "p.nsl", cwd=str(tmp_path))
    assert proc.returncode == 1
    assert "index 'memory' is declared with metric = cosine, but 'idx' was built with metric ip" \
        in proc.stderr


def test_cli_json_and_facts_option(tmp_path):
    write(tmp_path)
    (tmp_path / "other.jsonl").write_text('[5, [0, 1, 0, 0]]\n')
    proc = nslc("run", "p.nsl", "--json", "--facts", "question=other.jsonl", cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    near = json.loads(proc.stdout)["relations"]["near"]
    assert [r["args"] for r in near] == [[5, 1], [5, 3]]


def test_csv_still_refuses_tensor_columns(tmp_path):
    (tmp_path / "p.nsl").write_text('input question(q: int, v: tensor[4]) from "q.csv"\n')
    proc = nslc("check", "p.nsl", cwd=str(tmp_path))
    assert proc.returncode == 1
    assert "tensor columns can be read only from a .jsonl fact file" in proc.stderr


def test_import_nsl_stays_light():
    code = ("import sys, nsl; nsl.compile('index m(dim = 2, quant = int8, metric = ip) from \"m.npy\"\\n"
            "input q(v: tensor[2])\\nr(d) :- q(v), knn(m, v, 1, d, _).\\n'); "
            "print([m for m in ('torch', 'numpy', 'llvmlite') if m in sys.modules])")
    import subprocess
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_a_shapeless_tensor_column_is_checked_at_run_time(tmp_path):
    np.save(tmp_path / "memory.npy", MEMORY)
    (tmp_path / "p.nsl").write_text(
        'index memory(dim = 4, quant = int8, metric = ip) from "memory.npy"\n'
        "input question(q: int, v: tensor)\n"
        "near(q, d) :- question(q, v), knn(memory, v, 1, d, _).\n")
    prog = nsl.compile(tmp_path / "p.nsl")
    assert prog.run(facts={"question": [(1, [0.0, 0.0, 3.0, 0.0])]})["near"] == [(1, 2)]
    with pytest.raises(CompileError) as info:
        prog.run(facts={"question": [(1, [0.0, 3.0])]})
    assert "p.nsl:3:31: error: knn's vectors have 2 values, but index 'memory' holds vectors of " \
           "dimension 4" in info.value.render()


def test_a_vector_too_large_for_l2_is_a_positioned_error(tmp_path):
    # ‖v‖² overflows float32: the score would be NaN and the row never found
    huge = np.array([[3e19, 0, 0, 0], [1, 0, 0, 0]], np.float32)
    write(tmp_path, metric="l2", memory=huge)
    proc = nslc("run", "p.nsl", cwd=str(tmp_path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cannot load index 'memory'" in proc.stderr and "squared norm of row 0" in proc.stderr
    prog = nsl.compile(write(tmp_path, metric="l2"))
    with pytest.raises(CompileError) as info:
        # the bad vector is the second distinct one: it is named by its values, not by
        # its row in the deduplicated batch that knn searches
        prog.run(facts={"question": [(1, [1.0, 0.0, 0.0, 0.0]), (2, [3e19, 0.0, 0.0, 0.0])]})
    assert ("knn on index 'memory': the query vector [3e+19, 0, 0, 0] has a squared norm past "
            "float32's range") in info.value.render()


def test_a_program_reads_an_index_directory_without_writing_to_it(tmp_path, monkeypatch):
    # no log is created or locked, nothing is cut: an index on a read-only mount works
    from nsl.runtime.retrieval import VectorIndex, wal

    write(tmp_path)
    VectorIndex.build(MEMORY, "cosine", path=tmp_path / "idx").close()
    (tmp_path / "idx" / "wal.log").unlink()
    before = sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in (tmp_path / "idx").iterdir())
    flags = []
    real = wal.os.open
    monkeypatch.setattr(wal.os, "open", lambda p, f, *a: flags.append((os.path.basename(p), f))
                        or real(p, f, *a))
    (tmp_path / "p.nsl").write_text(PROGRAM.format(metric="cosine", source="idx"))
    assert nsl.compile(tmp_path / "p.nsl").run()["near"] == [(1, 0), (1, 3), (2, 1), (2, 2)]
    assert all(f == os.O_RDONLY for name, f in flags if name == "wal.log")
    after = sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in (tmp_path / "idx").iterdir())
    assert after == before == [after[0]] and after[0][0] == "data.nsl8"
