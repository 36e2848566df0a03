"""The in-memory rows of an index and its data file.

Data file (``data.nsl8``), little endian::

    b"NSLVIDX1"  u32 header_len  header (JSON, UTF-8)  u32 crc32(header)
    padding to 64, then each array at the offset the header gives

The header holds the index parameters, the row count and, per array, its
offset, dtype, shape and crc32. The file is only ever replaced whole (written
to a temporary file, fsynced, renamed over the old one, directory fsynced),
so a reader sees the old file or the new one, never a mix.
"""
from __future__ import annotations

import json
import mmap
import os
import struct
import zlib
from pathlib import Path

MAGIC = b"NSLVIDX1"
FORMAT_VERSION = 1
ALIGN = 64
HUGE_PAGE = 2 << 20
HUGE_PAGE_MIN_BYTES = 4 << 20  # below this the page-table walks do not matter


class CorruptIndexError(ValueError):
    """The file is not an index, or its contents fail their checksums."""


class RowStore:
    """Growable column arrays: codes, row scale, row bias, ids (+ float vectors)."""

    def __init__(self, stride: int, dim: int, keep_vectors: bool, capacity: int = 1024):
        import numpy as np

        self.stride, self.dim, self.keep_vectors = stride, dim, keep_vectors
        self.count = 0
        capacity = max(capacity, 16)
        self._codes = scan_buffer((capacity, stride), np.uint8)
        self._row_scale = np.empty(capacity, np.float32)
        self._row_bias = np.empty(capacity, np.float32)
        self._ids = np.empty(capacity, np.int64)
        self._vectors = np.empty((capacity, dim), np.float32) if keep_vectors else None

    def append(self, codes, row_scale, row_bias, ids, vectors=None) -> None:
        n = len(ids)
        self._reserve(self.count + n)
        end = self.count + n
        self._codes[self.count:end] = codes
        self._row_scale[self.count:end] = row_scale
        self._row_bias[self.count:end] = row_bias
        self._ids[self.count:end] = ids
        if self._vectors is not None:
            self._vectors[self.count:end] = vectors
        self.count = end

    def _reserve(self, needed: int) -> None:
        import numpy as np

        capacity = len(self._ids)
        if needed <= capacity:
            return
        capacity = max(needed, capacity * 2)
        for name in ("_codes", "_row_scale", "_row_bias", "_ids", "_vectors"):
            old = getattr(self, name)
            if old is None:
                continue
            shape = (capacity,) + old.shape[1:]
            new = scan_buffer(shape, old.dtype) if name == "_codes" else np.empty(shape, old.dtype)
            new[:self.count] = old[:self.count]
            setattr(self, name, new)

    @property
    def codes(self):
        return self._codes[:self.count]

    @property
    def row_scale(self):
        return self._row_scale[:self.count]

    @property
    def row_bias(self):
        return self._row_bias[:self.count]

    @property
    def ids(self):
        return self._ids[:self.count]

    @property
    def vectors(self):
        return None if self._vectors is None else self._vectors[:self.count]

    def arrays(self) -> dict:
        out = {"codes": self.codes, "row_scale": self.row_scale,
               "row_bias": self.row_bias, "ids": self.ids}
        if self._vectors is not None:
            out["vectors"] = self.vectors
        return out


def scan_buffer(shape, dtype):
    """An uninitialised array for data the knn kernel streams through: large
    ones get their own 2 MB-aligned anonymous mapping advised to use
    transparent huge pages, so a scan of 128 MB takes 64 TLB entries instead
    of 32768 page walks (measured here: 0.74 → 0.85 of the DRAM stream line
    for a single-query scan over 1M × 128). Where the kernel (or the OS)
    offers no huge pages, the mapping simply keeps 4 KB pages."""
    import numpy as np

    dtype = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    advice = getattr(mmap, "MADV_HUGEPAGE", None)
    if size < HUGE_PAGE_MIN_BYTES or advice is None:
        return np.empty(shape, dtype)
    # private: a shared anonymous mapping is shmem, which gets no huge pages
    region = mmap.mmap(-1, size + HUGE_PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    raw = np.frombuffer(region, np.uint8)  # keeps the mapping alive
    offset = (-raw.ctypes.data) % HUGE_PAGE
    try:
        region.madvise(advice, offset, size)
    except OSError:
        pass  # THP disabled ("never"): plain pages, same results
    return raw[offset:offset + size].view(dtype).reshape(shape)


def write_data_file(path: Path, params: dict, arrays: dict) -> None:
    """Atomically replace ``path`` with a data file holding ``params`` and ``arrays``."""
    import numpy as np

    layout, offset = {}, 0
    blobs = []
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        data = array.tobytes()
        layout[name] = {"dtype": array.dtype.str, "shape": list(array.shape),
                        "offset": offset, "crc32": zlib.crc32(data)}
        blobs.append((offset, data))
        offset = _align(offset + len(data))
    header = json.dumps({"version": FORMAT_VERSION, "params": params, "arrays": layout},
                        sort_keys=True).encode()
    prefix = MAGIC + struct.pack("<I", len(header)) + header + struct.pack("<I", zlib.crc32(header))
    base = _align(len(prefix))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(prefix + b"\0" * (base - len(prefix)))
        for start, data in blobs:
            out.seek(base + start)
            out.write(data)
        out.truncate(base + offset)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    fsync_directory(path.parent)


def read_data_file(path: Path) -> tuple[dict, dict]:
    """``(params, arrays)`` of a data file; raises CorruptIndexError if damaged."""
    import numpy as np

    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        raise CorruptIndexError("is a directory, not an index data file") from None
    if len(raw) < len(MAGIC) + 8 or raw[:len(MAGIC)] != MAGIC:
        raise CorruptIndexError("not an NSL vector index (bad magic)")
    (header_len,) = struct.unpack_from("<I", raw, len(MAGIC))
    start = len(MAGIC) + 4
    header = raw[start:start + header_len]
    if len(header) != header_len or len(raw) < start + header_len + 4:
        raise CorruptIndexError("index header is truncated")
    (crc,) = struct.unpack_from("<I", raw, start + header_len)
    if zlib.crc32(header) != crc:
        raise CorruptIndexError("index header checksum mismatch")
    meta = json.loads(header)
    if meta.get("version") != FORMAT_VERSION:
        raise CorruptIndexError(f"unsupported index format version {meta.get('version')}")
    base = _align(start + header_len + 4)
    arrays = {}
    for name, info in meta["arrays"].items():
        dtype = np.dtype(info["dtype"])
        size = int(np.prod(info["shape"], dtype=np.int64)) * dtype.itemsize
        begin = base + info["offset"]
        data = raw[begin:begin + size]
        if len(data) != size or zlib.crc32(data) != info["crc32"]:
            raise CorruptIndexError(f"index array {name!r} is truncated or fails its checksum")
        arrays[name] = np.frombuffer(data, dtype).reshape(info["shape"])
    return meta["params"], arrays


def fsync_directory(path: Path) -> None:
    """Make a rename or file creation in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _align(n: int) -> int:
    return -(-n // ALIGN) * ALIGN
