"""``nslc index``: build / add / search / info as a subprocess, and its errors."""
import json
import subprocess
import sys

import numpy as np
import pytest


def nslc(*args, cwd):
    return subprocess.run([sys.executable, "-m", "nsl", "index", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("index_cli")
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((500, 24)).astype(np.float32)
    np.save(path / "v.npy", vectors)
    np.save(path / "more.npy", rng.standard_normal((20, 24)).astype(np.float32))
    np.save(path / "q.npy", vectors[[3, 77]] + 0.01)
    np.save(path / "wrong_dim.npy", np.zeros((2, 23), np.float32))
    with_nan = np.zeros((2, 24), np.float32)
    with_nan[1, 5] = np.nan
    np.save(path / "nan.npy", with_nan)
    (path / "empty.npy").write_bytes(b"")
    np.save(path / "neg_ids.npy", np.array([7, -2]))
    np.save(path / "huge_ids.npy", np.array([7, 2**63], np.uint64))
    (path / "text.npy").write_text("not numpy")
    np.save(path / "no_rows.npy", np.zeros((0, 24), np.float32))
    return path


def test_build_add_search_info(workdir):
    built = nslc("build", "idx", "--from", "v.npy", "--metric", "cosine", "--keep-vectors", cwd=workdir)
    assert built.returncode == 0, built.stderr
    added = nslc("add", "idx", "--from", "more.npy", cwd=workdir)
    assert added.returncode == 0 and "520 rows" in added.stdout
    found = nslc("search", "idx", "--queries", "q.npy", "-k", "3", "--json", cwd=workdir)
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert [row[0]["id"] for row in result["results"]] == [3, 77]
    assert all(len(row) == 3 for row in result["results"]) and result["metric"] == "cosine"
    reranked = nslc("search", "idx", "--queries", "q.npy", "-k", "2", "--rerank", "4", cwd=workdir)
    assert reranked.returncode == 0 and reranked.stdout.splitlines()[0].startswith("0\t3:")
    info = json.loads(nslc("info", "idx", "--json", cwd=workdir).stdout)
    assert info["rows"] == 520 and info["dim"] == 24 and info["quant"] == "int8"


def test_k_beyond_rows_lists_what_exists(workdir):
    assert nslc("build", "small", "--from", "q.npy", cwd=workdir).returncode == 0
    result = json.loads(nslc("search", "small", "--queries", "q.npy", "-k", "5", "--json",
                             cwd=workdir).stdout)
    assert [len(row) for row in result["results"]] == [2, 2]
    # a k far past the index size used to end in "nslc: internal error: MemoryError"
    huge = nslc("search", "small", "--queries", "q.npy", "-k", "10000000000", "--json", cwd=workdir)
    assert huge.returncode == 0, huge.stderr
    assert [len(row) for row in json.loads(huge.stdout)["results"]] == [2, 2]


@pytest.mark.parametrize("args, path, message", [
    (("add", "idx", "--from", "wrong_dim.npy"), "wrong_dim.npy", "dimension 23, the index has 24"),
    (("add", "idx", "--from", "nan.npy"), "nan.npy", "NaN"),
    (("add", "idx", "--from", "empty.npy"), "empty.npy", "empty file"),
    (("add", "idx", "--from", "text.npy"), "text.npy", "not a .npy file"),
    (("add", "idx", "--from", "no_rows.npy"), "no_rows.npy", "no vectors"),
    (("add", "idx", "--from", "absent.npy"), "absent.npy", "no such file"),
    (("search", "idx", "--queries", "wrong_dim.npy"), "wrong_dim.npy", "dimension"),
    (("info", "v.npy"), "v.npy", "not an NSL vector index"),
    (("info", "nowhere"), "nowhere", "no such index"),
    (("build", "idx", "--from", "v.npy"), "idx", "already exists"),
    (("build", "neg", "--from", "q.npy", "--ids", "neg_ids.npy"), "neg_ids.npy", "must not be negative"),
    (("add", "idx", "--from", "q.npy", "--ids", "neg_ids.npy"), "neg_ids.npy", "must not be negative"),
    (("add", "idx", "--from", "q.npy", "--ids", "huge_ids.npy"), "huge_ids.npy", "fit in int64"),
])
def test_bad_inputs_give_one_clear_line(workdir, args, path, message):
    if not (workdir / "idx").exists():
        nslc("build", "idx", "--from", "v.npy", "--metric", "cosine", "--keep-vectors", cwd=workdir)
    run = nslc(*args, cwd=workdir)
    assert run.returncode == 1
    assert run.stderr.startswith(f"{path}: error: ") and message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


@pytest.mark.parametrize("args", [("search", "idx", "--queries", "q.npy", "-k", "0"),
                                  ("build", "x"), ()])
def test_usage_errors_exit_2(workdir, args):
    run = nslc(*args, cwd=workdir)
    assert run.returncode == 2 and "Traceback" not in run.stderr


def test_help_does_not_import_heavy_modules():
    code = ("import sys, nsl.cli, nsl.index_cli\n"
            "try:\n    nsl.cli.main(['index', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'torch', 'llvmlite', 'z3') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_add_while_another_process_writes_is_refused(workdir):
    from nsl.runtime.retrieval import VectorIndex
    if not (workdir / "idx").exists():
        nslc("build", "idx", "--from", "v.npy", "--metric", "cosine", "--keep-vectors", cwd=workdir)
    writer = VectorIndex.open(workdir / "idx")  # holds the writer's lock
    try:
        run = nslc("add", "idx", "--from", "more.npy", cwd=workdir)
        assert run.returncode == 1 and run.stderr.startswith("idx: error: ")
        assert "another process" in run.stderr
        assert nslc("search", "idx", "--queries", "q.npy", cwd=workdir).returncode == 0
    finally:
        writer.close()


@pytest.mark.parametrize("output", [[], ["--json"]])
def test_a_reader_that_stops_early_is_not_an_error(workdir, output):
    # `nslc index search ... | head -1`: once the reader closes the pipe, nslc stops
    # quietly with status 0; it used to report "error: Broken pipe" and exit 1.
    assert nslc("build", "piped", "--from", "v.npy", "--force", cwd=workdir).returncode == 0
    np.save(workdir / "many_q.npy", np.random.default_rng(1).standard_normal((2000, 24)).astype(np.float32))
    proc = subprocess.Popen([sys.executable, "-m", "nsl", "index", "search", "piped", "--queries",
                             "many_q.npy", "-k", "10", *output],
                            cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(10)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, stderr
    assert stderr == ""


def test_build_force_while_another_process_writes_is_refused(workdir):
    # `build --force` used to delete wal.log behind the writer's back and
    # replace the data: the writer's later acknowledged adds were lost.
    from nsl.runtime.retrieval import VectorIndex
    assert nslc("build", "busy", "--from", "v.npy", "--force", cwd=workdir).returncode == 0
    writer = VectorIndex.open(workdir / "busy")
    try:
        writer.add(np.load(workdir / "more.npy"))
        run = nslc("build", "busy", "--from", "q.npy", "--force", cwd=workdir)
        assert run.returncode == 1
        assert run.stderr == ("busy: error: is open for writing by another process; "
                              "try again when it is done\n")
        writer.add(np.load(workdir / "more.npy"))  # acknowledged after the refused build
    finally:
        writer.close()
    after = VectorIndex.open(workdir / "busy")
    after.close()
    assert len(after) == 540
    assert nslc("build", "busy", "--from", "q.npy", "--force", cwd=workdir).returncode == 0
    after = VectorIndex.open(workdir / "busy")
    after.close()
    assert len(after) == 2  # once the writer is gone, it replaces


def test_search_json_is_strict_json_even_for_huge_scores(workdir):
    # scores that overflowed float32 used to print as Infinity, which is not JSON
    np.save(workdir / "huge.npy", np.array([[1e38, 1e38], [1, 1], [-1e38, 1]], np.float32))
    assert nslc("build", "huge", "--from", "huge.npy", "--force", cwd=workdir).returncode == 0
    run = nslc("search", "huge", "--queries", "huge.npy", "-k", "3", "--json", cwd=workdir)
    assert run.returncode == 0, run.stderr

    def refuse(constant):
        raise AssertionError(f"{constant} in {run.stdout}")

    results = json.loads(run.stdout, parse_constant=refuse)["results"]
    assert [len(row) for row in results] == [3, 3, 3]
    text = nslc("search", "huge", "--queries", "huge.npy", "-k", "3", cwd=workdir)
    assert [len(line.split()) for line in text.stdout.splitlines()] == [4, 4, 4]  # all hits shown


@pytest.mark.parametrize("value", ["abc", "0"])
def test_a_bad_nsl_threads_setting_exits_2_naming_it(workdir, value):
    assert nslc("build", "threads_idx", "--from", "v.npy", "--force", cwd=workdir).returncode == 0
    import os
    proc = subprocess.run([sys.executable, "-m", "nsl", "index", "search", "threads_idx",
                           "--queries", "q.npy"], capture_output=True, text=True, cwd=workdir,
                          env=dict(os.environ, NSL_THREADS=value), timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"nslc: error: NSL_THREADS={value}: expected a whole number")


def test_build_into_a_directory_of_other_files_needs_force(workdir):
    (workdir / "mine").mkdir()
    (workdir / "mine" / "notes.txt").write_text("keep me")
    refused = nslc("build", "mine", "--from", "v.npy", cwd=workdir)
    assert refused.returncode == 1
    assert refused.stderr.startswith("mine: error: is a directory that is not empty and holds no index")
    assert "--force" in refused.stderr and sorted(p.name for p in (workdir / "mine").iterdir()) == ["notes.txt"]
    forced = nslc("build", "mine", "--from", "v.npy", "--force", cwd=workdir)
    assert forced.returncode == 0, forced.stderr
    assert (workdir / "mine" / "notes.txt").read_text() == "keep me"
    (workdir / "blank").mkdir()  # an empty directory is fine without --force
    assert nslc("build", "blank", "--from", "v.npy", cwd=workdir).returncode == 0


def test_build_from_zero_rows_makes_an_empty_index_of_that_dimension(workdir):
    # as VectorIndex.build and a program's `from "x.npy"` accept a 0 × d matrix
    built = nslc("build", "none", "--from", "no_rows.npy", "--metric", "l2", cwd=workdir)
    assert built.returncode == 0, built.stderr
    info = json.loads(nslc("info", "none", "--json", cwd=workdir).stdout)
    assert info["rows"] == 0 and info["dim"] == 24
    assert nslc("add", "none", "--from", "more.npy", cwd=workdir).returncode == 0
    found = nslc("search", "none", "--queries", "q.npy", "-k", "1", "--json", cwd=workdir)
    assert found.returncode == 0 and [len(r) for r in json.loads(found.stdout)["results"]] == [1, 1]
    fixed = nslc("build", "none2", "--from", "no_rows.npy", "--scale", "dimension", cwd=workdir)
    assert fixed.returncode == 1 and "build an empty index with --scale vector" in fixed.stderr


def _files(path):
    return {p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(path.iterdir())}


def test_info_and_search_need_no_write_access_and_change_nothing(workdir):
    import os
    import stat
    assert nslc("build", "ro", "--from", "v.npy", "--force", cwd=workdir).returncode == 0
    (workdir / "ro" / "wal.log").unlink()  # a reader must not create it
    before = _files(workdir / "ro")
    for p in (workdir / "ro").iterdir():
        p.chmod(stat.S_IRUSR)
    (workdir / "ro").chmod(stat.S_IRUSR | stat.S_IXUSR)  # root writes anyway: see below
    try:
        info = nslc("info", "ro", "--json", cwd=workdir)
        found = nslc("search", "ro", "--queries", "q.npy", "-k", "1", cwd=workdir)
        added = nslc("add", "ro", "--from", "more.npy", cwd=workdir)
    finally:
        (workdir / "ro").chmod(stat.S_IRWXU)
    assert info.returncode == 0 and json.loads(info.stdout)["rows"] == 500, info.stderr
    assert found.returncode == 0 and found.stdout.startswith("0\t3:"), found.stderr
    if os.geteuid() != 0:  # a writer needs write access, and the error names the file
        assert added.returncode == 1 and added.stderr.startswith("ro/wal.log: error: ")
        assert _files(workdir / "ro") == before
    else:
        assert "wal.log" not in before


def test_a_damaged_log_tail_is_reported_left_by_readers_and_cut_by_add(workdir):
    assert nslc("build", "dam", "--from", "v.npy", "--force", cwd=workdir).returncode == 0
    assert nslc("add", "dam", "--from", "more.npy", cwd=workdir).returncode == 0
    log = workdir / "dam" / "wal.log"
    data = bytearray(log.read_bytes())
    data[len(data) // 2:len(data) // 2 + 4] = b"XXXX"  # a complete-length record, bad checksum
    log.write_bytes(bytes(data))
    before = _files(workdir / "dam")
    info = nslc("info", "dam", "--json", cwd=workdir)
    assert json.loads(info.stdout)["wal_ignored_bytes"] == len(data) and info.returncode == 0
    assert info.stderr.startswith("dam/wal.log: warning: the last record of the log "
                                  f"({len(data)} bytes from byte 0) is incomplete or fails its "
                                  "checksum; it was skipped and left on disk")
    assert nslc("search", "dam", "--queries", "q.npy", cwd=workdir).stderr == info.stderr
    assert _files(workdir / "dam") == before  # readers never cut the log
    added = nslc("add", "dam", "--from", "more.npy", cwd=workdir)
    assert added.returncode == 0 and "it was cut off" in added.stderr and "520 rows" in added.stdout


def test_duplicate_ids_are_refused_naming_the_ids_file(workdir):
    np.save(workdir / "dup_ids.npy", np.array([4, 9, 4]))
    np.save(workdir / "old_ids.npy", np.array([600, 3, 601]))
    np.save(workdir / "three.npy", np.load(workdir / "v.npy")[:3])
    built = nslc("build", "dups", "--from", "three.npy", "--ids", "dup_ids.npy", cwd=workdir)
    assert built.returncode == 1, built.stderr
    assert built.stderr == ("dup_ids.npy: error: id 4 occurs twice in ids (position 2 repeats it); "
                            "ids must be unique\n")
    assert nslc("build", "dups", "--from", "v.npy", "--force", cwd=workdir).returncode == 0
    added = nslc("add", "dups", "--from", "three.npy", "--ids", "old_ids.npy", cwd=workdir)
    assert added.returncode == 1
    assert added.stderr.startswith("old_ids.npy: error: id 3 is already in the index")


def test_build_from_float64_values_past_float32_names_the_row_without_a_numpy_warning(workdir):
    vectors = np.ones((3, 24))
    vectors[2, 5] = 1e300
    np.save(workdir / "big64.npy", vectors)
    proc = nslc("build", workdir / "big_idx", "--from", "big64.npy", cwd=workdir)
    assert proc.returncode == 1
    assert proc.stderr == ("big64.npy: error: row 2 holds a value past float32's range "
                           "(about 3.4e38), the precision an index keeps\n")
