"""The write-ahead log on its own: readers open it read-only and change nothing;
a writer cuts a damaged tail and says what it cut."""
import os

import numpy as np
import pytest

from nsl.runtime.retrieval import wal
from nsl.runtime.retrieval.wal import ReadOnlyLogError, WriteAheadLog

LAYOUT = [("ids", "<i8", ())]


def _log_with_records(path, counts=(3, 2)):
    log = WriteAheadLog(path)
    first = 0
    for n in counts:
        log.append(first, [np.arange(first, first + n, dtype=np.int64)])
        first += n
    log.close()
    return path


def _file_state(path):
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns, path.read_bytes()


def _replayed(log):
    return [(first, rec["ids"].tolist()) for first, rec in log.replay(LAYOUT)]


def test_a_reader_opens_the_log_read_only_and_takes_no_lock(tmp_path, monkeypatch):
    path = _log_with_records(tmp_path / "wal.log")
    flags, locks = [], []
    real_open = os.open
    monkeypatch.setattr(wal.os, "open", lambda p, f, *a: flags.append(f) or real_open(p, f, *a))
    monkeypatch.setattr(wal.fcntl, "flock", lambda *a: locks.append(a))
    before = _file_state(path)
    log = WriteAheadLog(path, read_only=True)
    assert _replayed(log) == [(0, [0, 1, 2]), (3, [3, 4])]
    log.close()
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    assert flags == [os.O_RDONLY] and not flags[0] & write_flags
    assert locks == [] and _file_state(path) == before
    with pytest.raises(ReadOnlyLogError, match="opened read-only"):
        WriteAheadLog(path, read_only=True).append(5, [np.arange(1, dtype=np.int64)])


def test_a_reader_does_not_create_a_missing_log(tmp_path):
    log = WriteAheadLog(tmp_path / "wal.log", read_only=True)
    assert _replayed(log) == [] and log.size() == 0
    log.close()
    assert not (tmp_path / "wal.log").exists()


def _damage_last_record(path):
    # overwrite bytes inside the last, complete-length record: its checksum fails
    data = bytearray(path.read_bytes())
    data[-4:] = b"XXXX"
    path.write_bytes(bytes(data))


def test_a_reader_skips_a_damaged_tail_without_cutting_it(tmp_path):
    path = _log_with_records(tmp_path / "wal.log")
    _damage_last_record(path)
    before = _file_state(path)
    log = WriteAheadLog(path, read_only=True)
    assert _replayed(log) == [(0, [0, 1, 2])]
    offset, length = log.damaged_tail
    assert offset + length == before[1] and not log.cut
    log.close()
    assert _file_state(path) == before


def test_a_writer_cuts_a_damaged_tail_and_reports_it(tmp_path):
    path = _log_with_records(tmp_path / "wal.log")
    _damage_last_record(path)
    size = path.stat().st_size
    log = WriteAheadLog(path)
    assert _replayed(log) == [(0, [0, 1, 2])]
    offset, length = log.damaged_tail
    assert log.cut and offset + length == size and path.stat().st_size == offset
    log.close()
    clean = WriteAheadLog(path)
    assert _replayed(clean) == [(0, [0, 1, 2])] and clean.damaged_tail is None
    clean.close()
