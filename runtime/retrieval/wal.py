"""The write-ahead log of appended rows (``wal.log``).

Each ``add`` becomes one record::

    u32 RECORD_MAGIC  u32 payload_len  u32 crc32(payload)  payload

with ``payload = u64 first_row, u32 n, ids, codes, row_scale, row_bias
[, vectors]`` (the derived arrays, so replay never re-quantizes). A record is
acknowledged only after ``fsync`` returns. On open, records are replayed in
order until the first one that is incomplete or fails its checksum — a torn
tail from a crash mid-append, which was never acknowledged — and the file is
cut back to the last good record so later appends follow valid data.
Records whose rows are already in the data file (a crash between writing a
checkpoint and emptying the log) are skipped by ``first_row``.

One writer at a time: the log is ``flock``ed exclusively when opened. A
process that cannot get the lock opens the index read-only — it replays the
intact records but never cuts the file, since the tail it sees may be a
record the writer is still appending. The kernel drops the lock when the
writer exits, however it dies.
"""
from __future__ import annotations

import fcntl
import os
import struct
import zlib
from pathlib import Path

RECORD_MAGIC = 0x4C41574E  # "NWAL"
_HEAD = struct.Struct("<III")
_PAYLOAD_HEAD = struct.Struct("<QI")
WRITE_CHUNK = 1 << 20  # bytes per write(): bounds a syscall; tests shrink it to tear records


class ReadOnlyLogError(RuntimeError):
    """Another process holds the log for writing."""


class WriteAheadLog:
    """Append-only, fsynced records of row batches."""

    def __init__(self, path: Path):
        self.path = Path(path)
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        if created:
            from nsl.runtime.retrieval.storage import fsync_directory
            fsync_directory(self.path.parent)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.writable = True
        except BlockingIOError:
            self.writable = False

    def _require_writable(self) -> None:
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
        """Yield ``(first_row, {name: array})`` for every intact record, then cut
        the file after the last one. ``layout`` lists (name, dtype, row shape)."""
        import numpy as np

        raw = _read_all(self._fd)
        pos = good_end = 0
        while pos + _HEAD.size <= len(raw):
            magic, length, crc = _HEAD.unpack_from(raw, pos)
            start, end = pos + _HEAD.size, pos + _HEAD.size + length
            if magic != RECORD_MAGIC or end > len(raw) or length < _PAYLOAD_HEAD.size:
                break
            payload = raw[start:end]
            if zlib.crc32(payload) != crc:
                break
            first_row, n = _PAYLOAD_HEAD.unpack_from(payload)
            arrays, offset = {}, _PAYLOAD_HEAD.size
            for name, dtype, row_shape in layout:
                dtype = np.dtype(dtype)
                size = n * int(np.prod(row_shape, dtype=np.int64)) * dtype.itemsize
                arrays[name] = np.frombuffer(payload, dtype, n * int(np.prod(row_shape, dtype=np.int64)),
                                             offset).reshape((n,) + tuple(row_shape))
                offset += size
            if offset != len(payload):
                break  # a record written with another layout: not ours to trust
            yield first_row, arrays
            pos = good_end = end
        if good_end < len(raw) and self.writable:
            os.ftruncate(self._fd, good_end)
            os.fsync(self._fd)

    def reset(self) -> None:
        """Empty the log (after a checkpoint made its rows durable elsewhere)."""
        self._require_writable()
        os.ftruncate(self._fd, 0)
        os.fsync(self._fd)

    def size(self) -> int:
        return os.fstat(self._fd).st_size

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


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
