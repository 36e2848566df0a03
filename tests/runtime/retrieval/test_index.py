"""VectorIndex: API, metrics, recall, re-ranking, persistence, bad inputs."""
import os

import numpy as np
import pytest

import nsl
from nsl.runtime.retrieval import CorruptIndexError, RetrievalError, VectorIndex, knn_search
from nsl.runtime.retrieval.index import DATA_FILE, WAL_FILE


def _data(n=3000, d=48, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32), rng.standard_normal((20, d)).astype(np.float32)


def _exact(x, q, metric):
    if metric == "ip":
        return q @ x.T
    if metric == "cosine":
        return (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (x / np.linalg.norm(x, axis=1, keepdims=True)).T
    return -((q[:, None, :] - x[None]) ** 2).sum(-1)


def _recall(found, truth):
    return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, truth)])


def test_public_name():
    assert nsl.VectorIndex is VectorIndex


@pytest.mark.parametrize("metric", ["ip", "cosine", "l2"])
def test_search_finds_the_true_neighbours(metric):
    x, q = _data()
    index = VectorIndex.build(x, metric, keep_vectors=True)
    truth = np.argsort(-_exact(x, q, metric), axis=1, kind="stable")[:, :10]
    ids, scores = index.search(q, 10)
    assert ids.shape == scores.shape == (20, 10)
    assert _recall(ids, truth) >= 0.9
    exact_ids, exact_scores = index.search(q, 10, rerank=4)
    assert _recall(exact_ids, truth) >= 0.99
    want = _exact(x, q, metric)[np.arange(20)[:, None], exact_ids]
    np.testing.assert_allclose(exact_scores, -want if metric == "l2" else want, rtol=1e-4, atol=1e-3)
    # best first: descending similarity, ascending distance
    assert (np.diff(scores, axis=1) >= 0).all() if metric == "l2" else (np.diff(scores, axis=1) <= 0).all()


def test_ids_are_kept_and_auto_ids_continue():
    x, q = _data(50)
    index = VectorIndex.build(x[:10], ids=np.arange(100, 110))
    new = index.add(x[10:15])
    assert list(new) == [110, 111, 112, 113, 114]
    ids, _ = index.search(x[12], 1)
    assert ids[0] == 112 and len(index) == 15


def test_k_beyond_rows_pads_and_empty_index_returns_nothing():
    x, q = _data(4)
    ids, scores = VectorIndex.build(x).search(q[:2], 6)
    assert (ids[:, 4:] == -1).all() and np.isneginf(scores[:, 4:]).all()
    empty = VectorIndex.build(np.zeros((0, 48), np.float32), "l2")
    ids, scores = empty.search(q[:2], 3)
    assert (ids == -1).all() and np.isposinf(scores).all()


def test_knn_search_is_the_batch_entry_point():
    x, q = _data(200)
    index = VectorIndex.build(x, "cosine")
    ids, scores = knn_search(index, q, 5)
    assert ids.dtype == np.int64 and scores.dtype == np.float32 and ids.shape == (20, 5)
    np.testing.assert_array_equal(ids, index.search(q, 5)[0])


@pytest.mark.parametrize("bad, message", [
    (np.zeros((3, 5), np.float32), "dimension 5"),
    (np.full((1, 48), np.nan, np.float32), "NaN"),
    (np.zeros((2, 2, 48), np.float32), "2-d"),
    ([["a"] * 48], "numeric"),
])
def test_bad_vectors_are_refused_with_a_clear_message(bad, message):
    index = VectorIndex.build(_data(10)[0])
    with pytest.raises(RetrievalError, match=message):
        index.add(bad)
    with pytest.raises(RetrievalError, match=message):
        index.search(bad, 1)


def test_bad_parameters_are_refused():
    x, _ = _data(10)
    with pytest.raises(RetrievalError, match="metric"):
        VectorIndex.build(x, "hamming")
    with pytest.raises(RetrievalError, match="keep_vectors"):
        VectorIndex.build(x).search(x[:1], 1, rerank=4)
    with pytest.raises(RetrievalError, match="ids"):
        VectorIndex.build(x).add(x[:2], ids=[1])


def test_save_open_round_trip_with_log(tmp_path):
    x, q = _data(500)
    index = VectorIndex.build(x[:300], "l2", keep_vectors=True, scale="dimension", path=tmp_path / "i")
    index.add(x[300:400])
    index.add(x[400:])
    assert (tmp_path / "i" / WAL_FILE).stat().st_size > 0
    index.close()
    again = VectorIndex.open(tmp_path / "i")
    assert len(again) == 500 and again.metric == "l2" and again.quantizer.scheme == "dimension"
    for a, b in zip(index.search(q, 7, rerank=2), again.search(q, 7, rerank=2)):
        np.testing.assert_array_equal(a, b)
    again.save()  # checkpoint: log folded into the data file
    assert (tmp_path / "i" / WAL_FILE).stat().st_size == 0
    np.testing.assert_array_equal(VectorIndex.open(tmp_path / "i").ids, index.ids)


def test_a_torn_log_tail_is_ignored_and_cut(tmp_path):
    x, _ = _data(30)
    index = VectorIndex.build(x[:10], path=tmp_path)
    index.add(x[10:20])
    good = (tmp_path / WAL_FILE).stat().st_size
    index.add(x[20:30])
    index.close()
    with open(tmp_path / WAL_FILE, "r+b") as f:
        f.truncate(good + (os.path.getsize(tmp_path / WAL_FILE) - good) // 2)
    again = VectorIndex.open(tmp_path)
    assert list(again.ids) == list(range(20))
    assert (tmp_path / WAL_FILE).stat().st_size == good
    again.add(x[20:30])  # appends after the cut, and replays
    again.close()
    assert list(VectorIndex.open(tmp_path).ids) == list(range(30))


def test_a_corrupt_log_record_stops_the_replay(tmp_path):
    x, _ = _data(30)
    index = VectorIndex.build(x[:10], path=tmp_path)
    index.add(x[10:20])
    index.add(x[20:30])
    index.close()
    raw = bytearray((tmp_path / WAL_FILE).read_bytes())
    raw[-5] ^= 0xFF  # flip a byte in the last record's payload
    (tmp_path / WAL_FILE).write_bytes(bytes(raw))
    assert list(VectorIndex.open(tmp_path).ids) == list(range(20))


def test_checkpoint_interrupted_before_the_log_reset_does_not_duplicate(tmp_path):
    x, _ = _data(30)
    index = VectorIndex.build(x[:10], path=tmp_path)
    index.add(x[10:20])
    log = (tmp_path / WAL_FILE).read_bytes()
    index.save()
    index.close()
    (tmp_path / WAL_FILE).write_bytes(log)  # as if the crash hit right after the rename
    assert list(VectorIndex.open(tmp_path).ids) == list(range(20))


def test_a_second_opener_is_read_only_and_never_cuts_the_log(tmp_path):
    x, q = _data(40)
    writer = VectorIndex.build(x[:10], path=tmp_path)
    writer.add(x[10:20])
    with open(tmp_path / WAL_FILE, "ab") as log:
        log.write(b"\x4e\x57\x41\x4c" + b"\0" * 7)  # a record being appended right now
    reader = VectorIndex.open(tmp_path)
    assert not reader.writable and writer.writable
    assert list(reader.ids) == list(range(20))
    assert (tmp_path / WAL_FILE).read_bytes().endswith(b"\0" * 7)  # tail left alone
    np.testing.assert_array_equal(reader.search(q, 3)[0], writer.search(q, 3)[0])
    with pytest.raises(RetrievalError, match="read-only"):
        reader.add(x[20:21])
    with pytest.raises(RetrievalError, match="read-only"):
        reader.save()
    with pytest.raises(RetrievalError, match="read-only"):
        VectorIndex.build(x[:5], path=tmp_path)  # the writer's files stay untouched
    reader.close()
    writer.close()
    again = VectorIndex.open(tmp_path)
    assert again.writable and len(again) == 20


@pytest.mark.parametrize("damage", ["garbage", "flip", "truncate", "missing"])
def test_damaged_data_files_are_reported(tmp_path, damage):
    VectorIndex.build(_data(100)[0], path=tmp_path)
    data = tmp_path / DATA_FILE
    raw = bytearray(data.read_bytes())
    if damage == "garbage":
        data.write_bytes(b"hello world" * 10)
    elif damage == "flip":
        raw[len(raw) // 2] ^= 1
        data.write_bytes(bytes(raw))
    elif damage == "truncate":
        data.write_bytes(bytes(raw[:len(raw) // 2]))
    else:
        data.unlink()
    with pytest.raises(CorruptIndexError):
        VectorIndex.open(tmp_path)


def test_without_llvm_the_torch_path_gives_identical_results(tmp_path):
    import subprocess
    import sys
    x, q = _data(700, 40)
    VectorIndex.build(x, "l2", path=tmp_path / "i").close()
    np.save(tmp_path / "q.npy", q)
    code = ("import sys, numpy as np; from nsl.runtime.retrieval import VectorIndex\n"
            "ids, scores = VectorIndex.open(sys.argv[1]).search(np.load(sys.argv[2]), 9)\n"
            "assert 'llvmlite' not in sys.modules\n"
            "np.save(sys.argv[3], ids); np.save(sys.argv[4], scores)")
    env = dict(os.environ, NSL_JIT_DISABLE="1")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "i"), str(tmp_path / "q.npy"),
                    str(tmp_path / "ids.npy"), str(tmp_path / "scores.npy")],
                   check=True, env=env, timeout=120)
    ids, scores = VectorIndex.open(tmp_path / "i").search(q, 9)
    np.testing.assert_array_equal(np.load(tmp_path / "ids.npy"), ids)
    np.testing.assert_array_equal(np.load(tmp_path / "scores.npy"), scores)


@pytest.mark.parametrize("writable", [True, False])
def test_a_damaged_record_before_intact_ones_is_an_error_and_cuts_nothing(tmp_path, writable):
    # Only the last record can be torn by a crash: a damaged record followed by
    # an intact one was acknowledged, and so were the ones after it. Replay used
    # to stop there and cut the log, silently dropping rows 20..39.
    x, _ = _data(40)
    index = VectorIndex.build(x[:10], path=tmp_path)
    for start in (10, 20, 30):
        index.add(x[start:start + 10])
    index.close()
    raw = bytearray((tmp_path / WAL_FILE).read_bytes())
    record = len(raw) // 3
    raw[record + 20] ^= 0xFF  # inside the second record's payload
    (tmp_path / WAL_FILE).write_bytes(bytes(raw))
    writer = None if writable else _hold_lock(tmp_path)
    try:
        with pytest.raises(CorruptIndexError, match=r"record 2 \(at byte \d+\) is damaged.*byte \d+"):
            VectorIndex.open(tmp_path)
    finally:
        if writer is not None:
            writer.close()
    assert (tmp_path / WAL_FILE).read_bytes() == bytes(raw)  # nothing cut
    with pytest.raises(CorruptIndexError, match="record 2"):  # and the lock was released
        VectorIndex.open(tmp_path)


def _hold_lock(directory):
    from nsl.runtime.retrieval.wal import WriteAheadLog
    log = WriteAheadLog(directory / WAL_FILE)
    assert log.writable
    return log


@pytest.mark.parametrize("replace", ["build", "save"])
def test_replacing_an_index_crashing_after_the_data_file_keeps_the_old_log_out(
        tmp_path, monkeypatch, replace):
    # The old index's log used to be emptied only after the new data file was
    # renamed into place; a crash in between replayed the old rows into the new index.
    from nsl.runtime.retrieval import storage

    x, _ = _data(40)
    old = VectorIndex.build(x[:3], path=tmp_path)
    old.add(x[3:13])
    old.close()
    write = storage.write_data_file

    def write_then_crash(*args):
        write(*args)
        raise KeyboardInterrupt("crash right after the data file was replaced")

    monkeypatch.setattr(storage, "write_data_file", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        if replace == "build":
            VectorIndex.build(x[20:25], ids=np.arange(100, 105), path=tmp_path)
        else:
            VectorIndex.build(x[20:25], ids=np.arange(100, 105)).save(tmp_path)
    monkeypatch.undo()
    again = VectorIndex.open(tmp_path)
    assert list(again.ids) == list(range(100, 105))
    assert again.writable  # the failed save released the lock it took


@pytest.mark.parametrize("ids, message", [
    (np.array([3, -1, 4]), r"must not be negative .* id -1 \(position 1\)"),
    (np.array([0, 2**63, 1], np.uint64), r"fit in int64 .* id 9223372036854775808 \(position 1\)"),
    ([5, 2**64, 6], "3 integers"),
])
def test_ids_that_a_search_could_not_return_are_refused(ids, message):
    # -1 means "no result" downstream, so a negative id could never be found;
    # uint64 ids from 2**63 used to wrap to negative ones.
    x, _ = _data(6)
    with pytest.raises(RetrievalError, match=message):
        VectorIndex.build(x[:3], ids=ids)
    index = VectorIndex.build(x[:3])
    with pytest.raises(RetrievalError, match=message):
        index.add(x[3:], ids=ids)
    assert len(index) == 3
    top = VectorIndex.build(x[:1], ids=np.array([2**63 - 1], np.uint64))
    assert list(top.ids) == [2**63 - 1]
    with pytest.raises(RetrievalError, match="no automatic ids"):
        top.add(x[1:2])


def test_vectors_whose_l2_norm_overflows_are_refused():
    # ‖x‖² is the l2 row bias; it used to overflow to inf, turning the row's
    # scores into NaN (never returned) and its slot into a duplicate id.
    huge = np.array([[3e19, 0], [1, 1], [2, 2]], np.float32)
    with pytest.raises(RetrievalError, match="squared norm of row 0 overflows"):
        VectorIndex.build(huge, "l2")
    index = VectorIndex.build(huge[1:], "l2")
    with pytest.raises(RetrievalError, match="squared norm of row 1 overflows"):
        index.add(huge[[1, 0]])
    with pytest.raises(RetrievalError, match="queries: the squared norm of row 0"):
        index.search(huge[:1], 2)
    assert len(index) == 2


def test_cosine_normalizes_rows_beyond_float32_squares():
    # float32 norms overflow past ~1.8e19 and vanish below ~1e-23; such rows
    # used to be stored unnormalized (as zero, or tiny)
    x = np.array([[3e19, 3e19], [1e-30, 1e-30], [1, 0]], np.float32)
    ids, scores = VectorIndex.build(x, "cosine").search(np.array([1, 1], np.float32), 3)
    assert sorted(ids[:2]) == [0, 1] and ids[2] == 2
    np.testing.assert_allclose(scores, [1, 1, 0.7071], atol=0.01)


@pytest.mark.parametrize("metric", ["ip", "l2"])
def test_scores_saturate_so_infinity_only_marks_an_empty_slot(metric):
    x = np.array([[1e19, 1e19], [1, 1], [-1e19, 1]], np.float32)
    ids, scores = VectorIndex.build(x, metric).search([[1e19, 1e19], [-1e19, -1e19]], 4)
    assert (ids[:, :3] >= 0).all() and np.isfinite(scores[:, :3]).all()
    assert (ids[:, 3] == -1).all() and np.isinf(scores[:, 3]).all()
    big = np.array([[1e38, 1e38], [1, 1]], np.float32)
    _, scores = VectorIndex.build(big, "ip").search([[1e38, 1e38]], 2)
    assert np.isfinite(scores).all() and scores[0, 0] == np.finfo(np.float32).max


def test_an_empty_slot_is_never_mapped_to_an_id(monkeypatch):
    # search_index used to index the ids with the row -1 when the index had at
    # least k rows: the last row's id came back, twice.
    from nsl.compiler.jit import knn_kernels

    index = VectorIndex.build(_data(3)[0], ids=[10, 11, 12])

    def scan(*args, **kwargs):
        return np.array([[1, -1, -1]]), np.array([[5.0, -np.inf, -np.inf]], np.float32)

    monkeypatch.setattr(knn_kernels, "knn_scan_floats", scan)
    monkeypatch.setattr(knn_kernels, "knn_scan", scan)
    ids, scores = index.search(_data(3)[1][:1], 3)
    assert ids.tolist() == [[11, -1, -1]]


@pytest.mark.parametrize("arguments, message", [
    (dict(k=2.5), "k must be an integer, got 2.5"),
    (dict(k=float("nan")), "k must be an integer, got nan"),
    (dict(k=None), "k must be an integer, got None"),
    (dict(k=True), "k must be an integer"),
    (dict(k=-1), "k must be at least 0, got -1"),
    (dict(k=2, threads=0), "threads must be at least 1, got 0"),
    (dict(k=2, threads=-3), "threads must be at least 1, got -3"),
    (dict(k=2, threads=2.5), "threads must be an integer, got 2.5"),
    (dict(k=2, rerank=1.5), "rerank must be an integer"),
    (dict(k=2, rerank=0), "rerank must be at least 1"),
])
def test_search_arguments_are_checked(arguments, message):
    # k = 2.5 used to be truncated, nan and None to escape as ValueError and
    # TypeError, and any threads value to be accepted
    x, q = _data(10)
    index = VectorIndex.build(x, keep_vectors=True)
    with pytest.raises(RetrievalError, match=message):
        index.search(q, **arguments)
    if "threads" not in arguments:  # the batch entry point takes k and rerank
        with pytest.raises(RetrievalError, match=message):
            knn_search(index, q, arguments.pop("k"), **arguments)


def test_numpy_integers_are_integers():
    x, q = _data(10)
    index = VectorIndex.build(x, keep_vectors=True)
    ids, _ = index.search(q, np.int64(3), rerank=np.int32(2), threads=np.uint8(2))
    np.testing.assert_array_equal(ids, index.search(q, 3, rerank=2)[0])


def test_an_unknown_scale_lists_the_choices():
    with pytest.raises(RetrievalError, match=r"unknown scale 'foo' \(expected one of vector, dimension, global\)"):
        VectorIndex.build(_data(10)[0], scale="foo")


def test_a_huge_k_scans_only_the_rows_there_are(monkeypatch):
    # k (or k·rerank) is capped at the index size before the scan; only the
    # padding grows with k, and a padding too large for memory is an error
    from nsl.compiler.jit import knn_kernels

    x, q = _data(3)
    index = VectorIndex.build(x, "l2", keep_vectors=True)
    seen = []
    for name, k_at in (("knn_scan_floats", 6), ("knn_scan", 5)):
        real = getattr(knn_kernels, name)

        def spy(*args, real=real, k_at=k_at, **kwargs):
            seen.append(args[k_at])
            return real(*args, **kwargs)

        monkeypatch.setattr(knn_kernels, name, spy)
    ids, scores = index.search(q[:2], 1000, rerank=10**9)
    assert max(seen) == 3
    assert ids.shape == (2, 1000) and (ids[:, 3:] == -1).all() and np.isposinf(scores[:, 3:]).all()
    assert sorted(ids[0, :3]) == [0, 1, 2]
    with pytest.raises(RetrievalError, match=r"k = 1000000000000 is too large: 2 × 1000000000000"):
        index.search(q[:2], 10**12)


def test_padding_past_physical_memory_is_refused_before_allocating(monkeypatch):
    # the check runs before np.full: on a machine that overcommits, the
    # allocation itself would succeed and the padding would then exhaust memory
    import os

    x, q = _data(3)
    index = VectorIndex.build(x, "ip")
    sizes = {"SC_PHYS_PAGES": 256, "SC_PAGE_SIZE": 4096}  # 1 MiB of "memory"
    monkeypatch.setattr(os, "sysconf", lambda name: sizes[name])
    with pytest.raises(RetrievalError, match=r"k = 1000000 is too large"):
        index.search(q[:2], 10**6)  # 24 MB of ids and scores
    ids, _ = index.search(q[:2], 1000)  # 24 KB: padded as usual
    assert ids.shape == (2, 1000)
