"""Least-recently-used eviction for the JIT's disk cache (see :mod:`.codegen`).

Without it the cache only grows: every llvmlite or LLVM upgrade, every CPU a
shared home directory meets and every change to a kernel's IR adds entries that
nothing reads again. A hit refreshes an entry's mtime (:func:`touch`); after a
new entry is written, :func:`evict` deletes the entries used longest ago until
the directory holds at most ``$NSL_JIT_CACHE_MAX_MB`` megabytes (:func:`max_bytes`).

Processes share the directory without a lock, so an entry may vanish between
listing and ``stat``, between ``stat`` and ``unlink`` (another process evicted
it first), or just before a reader opens it (the reader sees a miss and
recompiles): each race costs at most a recompilation, never an error. Only
names the cache itself writes are ever deleted: ``<sha256>.o`` entries, and
temporaries a writer left behind when it died mid-write.
"""
from __future__ import annotations

import math
import os
import re
import stat
import time
from pathlib import Path

DEFAULT_MAX_MB = 256
MB = 1 << 20
STALE_TMP_SECONDS = 3600  # a temporary this old belongs to a writer that died mid-write
_ENTRY = re.compile(r"[0-9a-f]{64}\.o")
_TMP = re.compile(r"[0-9a-f]{64}\.o\.\d+\.[0-9a-f]{8}\.tmp")  # codegen._write_entry's names


def max_bytes() -> int | None:
    """The cap in bytes: ``$NSL_JIT_CACHE_MAX_MB`` megabytes (2^20 bytes; fractions
    allowed), 256 when unset, empty or not a number ``>= 0``; None (no cap) for ``0``
    — as ccache's ``max_size`` — and ``inf``. A bad value never fails a compile."""
    value = os.environ.get("NSL_JIT_CACHE_MAX_MB", "").strip()
    try:
        mb = float(value)
    except ValueError:
        mb = DEFAULT_MAX_MB
    if not mb >= 0:  # negative or NaN
        mb = DEFAULT_MAX_MB
    if mb == 0 or math.isinf(mb):
        return None
    return int(mb * MB)


def touch(path: Path) -> None:
    """Mark the entry at ``path`` as just used; nothing if it is gone or read-only."""
    try:
        os.utime(path)
    except OSError:
        pass


def evict(root: Path, keep: Path | None = None) -> list[Path]:
    """Delete the least recently used entries of ``root`` until they total at most
    :func:`max_bytes`, never ``keep`` (the entry just written, even when it alone is
    over the cap); also temporaries older than :data:`STALE_TMP_SECONDS`. Returns the
    entries deleted (or found already gone)."""
    limit = max_bytes()
    if limit is None:
        return []
    now = time.time()
    entries, total = [], 0
    try:
        listing = os.scandir(root)
    except OSError:
        return []
    with listing:
        for item in listing:
            try:
                info = item.stat(follow_symlinks=False)
            except OSError:  # evicted or replaced since the listing
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            if _TMP.fullmatch(item.name):
                if now - info.st_mtime > STALE_TMP_SECONDS:
                    _unlink(Path(item.path))
            elif _ENTRY.fullmatch(item.name):
                total += info.st_size
                if keep is None or item.name != keep.name:
                    entries.append((info.st_mtime_ns, item.name, info.st_size))
    evicted = []
    for _, name, size in sorted(entries):  # oldest first; the name breaks ties
        if total <= limit:
            break
        _unlink(root / name)
        total -= size
        evicted.append(root / name)
    return evicted


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:  # already gone (another process evicted it), or not ours to delete
        pass
