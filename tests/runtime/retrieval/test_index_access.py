"""Who may change an index: readers need no write access and change nothing,
a writer says what it cut from a damaged log, and ids are unique."""
import os
import stat
import time

import numpy as np
import pytest

from nsl.runtime.retrieval import RetrievalError, VectorIndex, wal

RNG = np.random.default_rng(7)
BASE = RNG.standard_normal((50, 8)).astype(np.float32)
MORE = RNG.standard_normal((5, 8)).astype(np.float32)


def _index_with_log(path):
    VectorIndex.build(BASE, "l2", path=path).close()
    index = VectorIndex.open(path)
    index.add(MORE)  # a record in wal.log
    index.close()
    return path


def _state(path):
    return {p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(path.iterdir())}


class _ReadOnly:
    """The directory and its files without write permission. Root ignores that, so
    the tests also check that nothing changed and which flags opened the log."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        for p in self.path.iterdir():
            p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        self.path.chmod(stat.S_IRUSR | stat.S_IXUSR)
        return self

    def __exit__(self, *exc):
        self.path.chmod(stat.S_IRWXU)
        for p in self.path.iterdir():
            p.chmod(stat.S_IRUSR | stat.S_IWUSR)


@pytest.fixture
def log_opens(monkeypatch):
    """The flags of every os.open of a wal.log from now on (os.open is patched for
    everyone, since wal's ``os`` is the module)."""
    flags = []
    real = os.open

    def recording(path, flag, *rest):
        if os.path.basename(path) == "wal.log":
            flags.append(flag)
        return real(path, flag, *rest)

    monkeypatch.setattr(wal.os, "open", recording)
    return flags


def test_reading_needs_no_write_access_and_changes_nothing(tmp_path, log_opens):
    path = _index_with_log(tmp_path / "idx")
    before = _state(path)
    log_opens.clear()
    with _ReadOnly(path):
        index = VectorIndex.open(path, read_only=True)
        assert len(index) == 55 and not index.writable
        ids, _ = index.search(MORE[2], 1)
        assert ids.tolist() == [52]
        with pytest.raises(RetrievalError, match="opened read-only"):
            index.add(MORE)
        with pytest.raises(RetrievalError, match="opened read-only"):
            index.save()
        index.close()
    assert log_opens == [os.O_RDONLY]
    assert _state(path) == before


def test_a_reader_does_not_create_a_missing_log(tmp_path):
    path = _index_with_log(tmp_path / "idx")
    VectorIndex.open(path).save()  # fold the log in, then remove it
    (path / "wal.log").unlink()
    with _ReadOnly(path):
        index = VectorIndex.open(path, read_only=True)
        assert len(index) == 55 and index.info()["wal_bytes"] == 0
        index.close()
    assert sorted(p.name for p in path.iterdir()) == ["data.nsl8"]


def _damage_last_record(path):
    log = path / "wal.log"
    data = bytearray(log.read_bytes())
    data[len(data) // 2:len(data) // 2 + 4] = b"XXXX"  # the record keeps its length
    log.write_bytes(bytes(data))
    return len(data)


def test_a_reader_skips_a_damaged_tail_and_a_writer_reports_what_it_cut(tmp_path):
    path = _index_with_log(tmp_path / "idx")
    size = _damage_last_record(path)
    before = _state(path)
    reader = VectorIndex.open(path, read_only=True)
    info = reader.info()
    reader.close()
    assert len(reader) == 50 and info["wal_ignored_bytes"] == size
    assert "wal_discarded_bytes" not in info and _state(path) == before

    writer = VectorIndex.open(path)
    assert len(writer) == 50 and writer.log_damage == {"offset": 0, "bytes": size, "cut": True}
    assert writer.info()["wal_discarded_bytes"] == size and (path / "wal.log").stat().st_size == 0
    writer.close()
    again = VectorIndex.open(path)
    assert again.log_damage is None and "wal_discarded_bytes" not in again.info()
    again.close()


# ---- unique ids ----------------------------------------------------------------

def test_build_refuses_an_id_repeated_in_the_call():
    with pytest.raises(RetrievalError, match=r"^id 3 occurs twice in ids \(position 2 repeats it\)"):
        VectorIndex.build(BASE[:4], ids=[1, 3, 3, 1])


def test_add_refuses_ids_repeated_or_already_present(tmp_path):
    index = VectorIndex.build(BASE[:4], ids=[10, 11, 12, 13], path=tmp_path / "idx")
    with pytest.raises(RetrievalError, match=r"^id 12 is already in the index"):
        index.add(MORE[:3], ids=[20, 12, 21])
    with pytest.raises(RetrievalError, match=r"^id 20 occurs twice in ids"):
        index.add(MORE[:2], ids=[20, 20])
    assert len(index) == 4 and (tmp_path / "idx" / "wal.log").stat().st_size == 0  # nothing written
    index.add(MORE[:2], ids=[20, 21])
    index.add(MORE[2:3])  # an automatic id: 22
    with pytest.raises(RetrievalError, match=r"^id 22 is already in the index"):
        index.add(MORE[3:4], ids=[22])
    index.close()
    reopened = VectorIndex.open(tmp_path / "idx")  # the set is rebuilt from what is stored
    with pytest.raises(RetrievalError, match=r"^id 21 is already in the index"):
        reopened.add(MORE[3:4], ids=[21])
    reopened.close()


def test_a_small_add_to_a_large_index_does_not_rescan_every_id(monkeypatch):
    """The id set is built once, and small appends go to its tail: the sorted
    base of 200k ids is neither rebuilt nor re-sorted per add."""
    from nsl.runtime.retrieval import id_set

    index = VectorIndex.build(np.zeros((200_000, 8), np.float32))
    index.add(MORE[:1], ids=[10**9])  # builds the id set once
    base = index._id_set._base
    built = []
    monkeypatch.setattr(id_set.IdSet, "__init__",
                        lambda self, ids: built.append(len(ids)))  # a rebuild would show
    for i in range(20):
        index.add(MORE[:1], ids=[10**9 + 1 + i])
    assert built == [] and index._id_set._base is base
    assert len(index._id_set._tail) == 21  # the first add and these 20
    with pytest.raises(RetrievalError, match="1000000005"):
        index.add(MORE[:1], ids=[10**9 + 5])


@pytest.mark.parametrize("ids, message", [
    ([7, -2, 5, -9], r"^ids must not be negative \(-1 marks a missing result\), but id -2 "
                     r"\(position 1\) is\.$"),
    (np.array([7, 2**63, 2**64 - 1], np.uint64),
     r"^ids must fit in int64 \(at most 2\*\*63 - 1\), but id 9223372036854775808 \(position 1\) "
     r"does not\.$"),
])
def test_a_bad_id_is_named_at_its_first_position(ids, message):
    with pytest.raises(RetrievalError, match=message):
        VectorIndex.build(BASE[:len(ids)], ids=ids)
