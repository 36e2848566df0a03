"""The write-ahead log of appended rows (``wal.log``).

Each ``add`` becomes one record::

    u32 RECORD_MAGIC  u32 payload_len  u32 crc32(payload)  payload

with ``payload = u64 first_row, u32 n, ids, codes, row_scale, row_bias
[, vectors]`` (the derived arrays, so replay never re-quantizes). A record is
acknowledged only after ``fsync`` returns. On open, records are replayed in
order until the first one that is incomplete or fails its checksum. If no
intact record follows it, it is taken for a torn tail from a crash mid-append
(the next record is only written once this one is fsynced, so a torn record
is always the last; a crash can also leave a complete-length record whose
bytes did not all reach the disk, so a bad checksum there counts as torn) —
never acknowledged — and a writer cuts the file back to the last good record
so later appends follow valid data. What was cut is kept in ``damaged_tail``
(``nslc index info`` and ``nslc index add`` report it): a damaged last record
that no crash tore is acknowledged rows lost, and that should not pass
silently. If an intact record does follow, an acknowledged record was
damaged: replay raises ``CorruptIndexError`` and cuts nothing, so the later
records stay on disk for whoever repairs the log. Records whose rows are
already in the data file (a crash between writing a checkpoint and emptying
the log) are skipped by ``first_row``.

Readers (``read_only=True``: ``nslc index info|search``, programs) open the
log ``O_RDONLY``, take no lock and never change the file: a missing log reads
as empty and is not created, and a damaged tail is skipped and left for the
next writer. So an index on a read-only mount, or owned by another user, can
be searched. A writer ``flock``s the log exclusively; one that cannot get the
lock is read-only too (``writable`` false): it replays the intact records but
never cuts the file, since the tail it sees may be a record the writer is
still appending. The kernel drops the lock when the writer exits, however it
dies.
"""
from __future__ import annotations

import fcntl
import os
import struct
import zlib
from pathlib import Path

from nsl.runtime.retrieval.storage import CorruptIndexError

RECORD_MAGIC = 0x4C41574E  # "NWAL"
_HEAD = struct.Struct("<III")
_PAYLOAD_HEAD = struct.Struct("<QI")
WRITE_CHUNK = 1 << 20  # bytes per write(): bounds a syscall; tests shrink it to tear records


class ReadOnlyLogError(RuntimeError):
    """The log was opened read-only, or another process holds it for writing."""


class WriteAheadLog:
    """Append-only, fsynced records of row batches."""

    def __init__(self, path: Path, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self.writable = False
        # (byte offset, length) of a damaged last record that replay met: cut by a writer
        # (``cut``), skipped by a reader
        self.damaged_tail: tuple[int, int] | None = None
        self.cut = False
        if read_only:
            try:
                self._fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:
                self._fd = -1  # no log: nothing to replay, and a reader creates nothing
            return
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        if created:
            from nsl.runtime.retrieval.storage import fsync_directory
            fsync_directory(self.path.parent)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.writable = True
        except BlockingIOError:
            pass

    def _require_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyLogError(f"{self.path.parent} was opened read-only")
        if not self.writable:
            raise ReadOnlyLogError(f"{self.path.parent} is open for writing in another process")

    def append(self, first_row: int, arrays: list) -> None:
        """Write one record and return once it is durable."""
        import numpy as np

        self._require_writable()
        n = len(arrays[0])
        payload = b"".join([_PAYLOAD_HEAD.pack(first_row, n)]
                           + [np.ascontiguousarray(a).tobytes() for a in arrays])
        record = _HEAD.pack(RECORD_MAGIC, len(payload), zlib.crc32(payload)) + payload
        view, written = memoryview(record), 0
        while written < len(record):  # os.write may also be partial on its own
            written += os.write(self._fd, view[written:written + WRITE_CHUNK])
        os.fsync(self._fd)

    def replay(self, layout: list[tuple[str, object, tuple]]):
        """Yield ``(first_row, {name: array})`` for every intact record, then note
        a torn tail in ``damaged_tail`` and, in a writer, cut it off the file.
        ``layout`` lists (name, dtype, row shape). Raises ``CorruptIndexError``
        for a damaged record that is not the last."""
        raw = _read_all(self._fd) if self._fd >= 0 else b""
        pos = count = 0
        while pos < len(raw):
            payload = _intact_payload(raw, pos)
            if payload is None:
                _require_torn_tail(raw, pos, count, self.path)
                break
            first_row, arrays = _split(payload, layout)
            if arrays is None:  # intact, so not torn: written for another index
                raise CorruptIndexError(f"{self.path}: record {count + 1} (at byte {pos}) does "
                                        "not match this index's row layout")
            yield first_row, arrays
            pos, count = pos + _HEAD.size + len(payload), count + 1
        if pos < len(raw):
            self.damaged_tail = (pos, len(raw) - pos)
            if self.writable:
                os.ftruncate(self._fd, pos)
                os.fsync(self._fd)
                self.cut = True

    def reset(self) -> None:
        """Empty the log (after a checkpoint made its rows durable elsewhere)."""
        self._require_writable()
        os.ftruncate(self._fd, 0)
        os.fsync(self._fd)

    def size(self) -> int:
        return os.fstat(self._fd).st_size if self._fd >= 0 else 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _intact_payload(raw: bytes, pos: int):
    """The payload of the record at ``pos`` if it is complete and passes its
    checksum, else None."""
    if pos + _HEAD.size > len(raw):
        return None
    magic, length, crc = _HEAD.unpack_from(raw, pos)
    end = pos + _HEAD.size + length
    if magic != RECORD_MAGIC or length < _PAYLOAD_HEAD.size or end > len(raw):
        return None
    payload = raw[pos + _HEAD.size:end]
    return payload if zlib.crc32(payload) == crc else None


def _require_torn_tail(raw: bytes, pos: int, count: int, path: Path) -> None:
    """Raise CorruptIndexError unless the bad record at ``pos`` is a torn tail,
    that is, unless no intact record starts anywhere after it. Appends are
    sequential and each is fsynced before the next begins, so only the last
    record can be torn; an intact record further on means that an acknowledged
    record was damaged, and dropping the rest would lose acknowledged rows."""
    magic = _HEAD.pack(RECORD_MAGIC, 0, 0)[:4]
    at = raw.find(magic, pos + 1)
    while at >= 0:
        if _intact_payload(raw, at) is not None:
            raise CorruptIndexError(
                f"{path}: record {count + 1} (at byte {pos}) is damaged, but an intact record "
                f"follows at byte {at}; the log is left as it is, since replaying past the "
                "damage would drop acknowledged rows")
        at = raw.find(magic, at + 1)


def _split(payload: bytes, layout):
    """``(first_row, {name: array})`` of a payload, or ``(first_row, None)`` when
    its size does not fit ``layout``."""
    import numpy as np

    first_row, n = _PAYLOAD_HEAD.unpack_from(payload)
    arrays, offset = {}, _PAYLOAD_HEAD.size
    for name, dtype, row_shape in layout:
        dtype = np.dtype(dtype)
        count = n * int(np.prod(row_shape, dtype=np.int64))
        if offset + count * dtype.itemsize > len(payload):
            return first_row, None
        arrays[name] = np.frombuffer(payload, dtype, count, offset).reshape((n,) + tuple(row_shape))
        offset += count * dtype.itemsize
    return first_row, (arrays if offset == len(payload) else None)


def _read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)
