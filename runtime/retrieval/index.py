"""``nsl.VectorIndex``: an int8-quantized vector index, optionally persistent.

A persistent index is a directory with a data file (``data.nsl8``, see
``storage``) and a write-ahead log (``wal.log``, see ``wal``). ``add`` appends
to the log and returns only once the record is fsynced; ``save`` (a
checkpoint) folds the log into a new data file. ``open`` reads the data file
and replays the log, ignoring a torn tail (a writer cuts it and reports it in
``log_damage``). ``open(path, read_only=True)`` needs no write access: readers
never create, lock or cut the log. Ids are unique (see ``id_set``).
"""
from __future__ import annotations

import errno
from pathlib import Path

from nsl.runtime.retrieval.storage import CorruptIndexError, RowStore

METRICS = ("ip", "cosine", "l2")
NORMS = {"ip": (None,), "cosine": (None, "decoded"), "l2": ("exact", "decoded")}
DATA_FILE = "data.nsl8"
WAL_FILE = "wal.log"


_READ_ONLY = ("{} is open for writing elsewhere (another process, or another open "
              "VectorIndex); this one is read-only")
_OPENED_READ_ONLY = "{} was opened read-only (VectorIndex.open(..., read_only=True))"


class RetrievalError(ValueError):
    """Bad input to an index: wrong dimension, NaN, unknown metric, ..."""


class IndexBusyError(RetrievalError):
    """The index's log is held for writing by another process (or another open
    ``VectorIndex``), so this one may not change it."""


class VectorIndex:
    """Symmetric int8 vectors with fused JIT scan + top-k search."""

    def __init__(self, quantizer, metric: str, keep_vectors: bool, store: RowStore,
                 norms: str | None = "decoded"):
        self.quantizer = quantizer
        self.metric = metric
        self.keep_vectors = keep_vectors
        # The row bias: "decoded" (−‖x̂‖², l2 and cosine rank by the distance to
        # the decoded row), "exact" (−‖x‖², l2 indexes written before that) or
        # None (no bias: ip, and cosine indexes written before that).
        self.norms = None if metric == "ip" else norms
        self._store = store
        self.path: Path | None = None
        self._wal = None
        self._id_set = None  # built by the first add that brings its own ids
        # what ``open`` found after the log's last intact record, if anything:
        # {"offset", "bytes", "cut"} (cut: a writer truncated the log there)
        self.log_damage: dict | None = None

    # -- construction ----------------------------------------------------------------
    @classmethod
    def build(cls, vectors, metric: str = "ip", *, ids=None, scale: str = "vector",
              keep_vectors: bool = False, path=None) -> "VectorIndex":
        """An index over ``vectors`` (float ``[n, d]``). ``keep_vectors`` keeps the
        float rows for exact re-ranking; ``path`` makes it persistent at once."""
        from nsl.runtime.retrieval.quantization import SCHEMES, Quantizer, row_stride

        if metric not in METRICS:
            raise RetrievalError(f"unknown metric {metric!r} (expected one of {', '.join(METRICS)})")
        if scale not in SCHEMES:
            raise RetrievalError(f"unknown scale {scale!r} (expected one of {', '.join(SCHEMES)})")
        vectors = _as_matrix(vectors, None, "vectors")
        if vectors.shape[1] == 0:
            raise RetrievalError("vectors have dimension 0")
        if len(vectors) == 0 and scale != "vector":
            raise RetrievalError(f"scale {scale!r} is fixed from the build vectors, and there are "
                                 "none; build an empty index with scale='vector'")
        prepared = _normalize(vectors) if metric == "cosine" else vectors
        quantizer = Quantizer.fit(prepared, scale, row_stride(vectors.shape[1]))
        index = cls(quantizer, metric, keep_vectors,
                    RowStore(quantizer.stride, quantizer.dim, keep_vectors, len(vectors)))
        index._append(vectors, ids)
        if path is not None:
            index.save(path)
        return index

    @classmethod
    def open(cls, path, *, read_only: bool = False) -> "VectorIndex":
        """Open a saved index: read its data file, replay its write-ahead log
        (:class:`FileNotFoundError` naming ``path`` when there is nothing there).
        Read-only (``writable`` false) while another process has it open.
        ``read_only=True`` opens the log ``O_RDONLY`` with no lock, so it needs
        no write access and changes no file (a damaged log tail is skipped, not
        cut); ``add`` and ``save`` then refuse."""
        import numpy as np

        from nsl.runtime.retrieval.quantization import Quantizer
        from nsl.runtime.retrieval.storage import read_data_file
        from nsl.runtime.retrieval.wal import WriteAheadLog

        directory = Path(path)
        data = directory / DATA_FILE
        if not directory.exists():  # the true reason, and the path: callers that print the
            raise FileNotFoundError(errno.ENOENT, "no such index", str(path))  # path check first
        if not data.is_file():
            raise CorruptIndexError("not an NSL vector index (no data file)")
        params, arrays = read_data_file(data)
        try:
            dim, stride = int(params["dim"]), int(params["stride"])
            dim_scale = arrays.get("dim_scale")
            quantizer = Quantizer(dim, stride, params["scale"],
                                  None if dim_scale is None else np.array(dim_scale))
            keep = bool(params["keep_vectors"])
            metric = params["metric"]
            norms = params.get("norms", "exact" if metric == "l2" else None)
            if norms not in NORMS.get(metric, ()):
                raise ValueError(f"row norms {norms!r} with metric {metric!r}")
            index = cls(quantizer, metric, keep,
                        RowStore(stride, dim, keep, len(arrays["ids"]) + 1024), norms)
            index._store.append(arrays["codes"], arrays["row_scale"], arrays["row_bias"],
                                arrays["ids"], arrays.get("vectors"))
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptIndexError(f"index header is inconsistent ({exc})") from None
        index.path = directory
        index._wal = WriteAheadLog(directory / WAL_FILE, read_only=read_only)
        try:
            index._replay()
        except BaseException:
            index.close()  # release the writer's lock: this index is not returned
            raise
        if index._wal.damaged_tail is not None:
            offset, length = index._wal.damaged_tail
            index.log_damage = {"offset": offset, "bytes": length, "cut": index._wal.cut}
        return index

    def _replay(self) -> None:
        """Append the log's records that the data file does not hold yet."""
        for first_row, record in self._wal.replay(self._record_layout()):
            end = first_row + len(record["ids"])
            if end <= self._store.count:
                continue  # already folded into the data file by a checkpoint
            if first_row != self._store.count:
                if not self._wal.writable:
                    break  # the writer checkpointed while we read: keep the prefix
                raise CorruptIndexError(f"write-ahead log skips rows {self._store.count}..{first_row}")
            self._store.append(record["codes"], record["row_scale"], record["row_bias"],
                               record["ids"], record.get("vectors"))

    # -- updates -----------------------------------------------------------------------
    def add(self, vectors, ids=None):
        """Append rows; returns their ids. Durable when it returns (persistent index)."""
        return self._append(_as_matrix(vectors, self.dim, "vectors"), ids)

    def _append(self, vectors, ids):
        import numpy as np

        n = len(vectors)
        self._refuse_if_read_only(self.path)
        if ids is None:
            start = int(self._store.ids.max(initial=-1)) + 1
            if start + n - 1 > np.iinfo(np.int64).max:
                raise RetrievalError(f"no automatic ids left after {start - 1}; pass ids=")
            ids = np.arange(start, start + n, dtype=np.int64)
        else:
            ids = as_ids(ids, n)
            self._refuse_present_ids(ids)
        prepared = _normalize(vectors) if self.metric == "cosine" else vectors
        codes, row_scale = self.quantizer.quantize_rows(prepared)
        row_bias = self._row_bias(vectors, codes, row_scale)
        kept = prepared.astype(np.float32) if self.keep_vectors else None
        if self._wal is not None and n:
            arrays = [ids, codes, row_scale, row_bias] + ([kept] if self.keep_vectors else [])
            self._wal.append(self._store.count, arrays)
        self._store.append(codes, row_scale, row_bias, ids, kept)
        if self._id_set is not None:
            self._id_set.add(ids)
        return ids

    def _refuse_present_ids(self, ids) -> None:
        """A RetrievalError naming an id given twice, or one the index already holds:
        ``knn`` would report such an id twice (there is no update in place)."""
        from nsl.runtime.retrieval.id_set import IdSet, first_repeated

        at = first_repeated(ids)
        if at is not None:
            raise RetrievalError(f"id {int(ids[at])} occurs twice in ids (position {at} repeats "
                                 "it); ids must be unique")
        if len(self) == 0:
            return
        if self._id_set is None:
            self._id_set = IdSet(self._store.ids)
        present = self._id_set.first_present(ids)
        if present is not None:
            raise RetrievalError(f"id {present} is already in the index; ids must be unique "
                                 "(an index has no update in place)")

    def _refuse_if_read_only(self, directory) -> None:
        if self._wal is not None and self._wal.read_only:
            raise IndexBusyError(_OPENED_READ_ONLY.format(directory))
        if self._wal is not None and not self._wal.writable:
            raise IndexBusyError(_READ_ONLY.format(directory))

    def _row_bias(self, vectors, codes, row_scale):
        """The kernel's per-row bias for ``self.norms`` (see ``__init__``)."""
        import numpy as np

        if self.norms == "exact":
            return -squared_norms(vectors, "vectors")
        if self.norms is None:
            return np.zeros(len(vectors), np.float32)
        norms = self.quantizer.decoded_squared_norms(codes, row_scale)
        if self.metric == "cosine":
            # a unit query's score is q·x̂ + (1 − ‖x̂‖²)/2 (see search); a zero row
            # is off the sphere and keeps its exact score 0
            norms[norms == 0] = 1.0
        return -norms

    def save(self, path=None) -> None:
        """Write a checkpoint (data file) at ``path`` and empty the log there."""
        from nsl.runtime.retrieval.storage import write_data_file
        from nsl.runtime.retrieval.wal import WriteAheadLog

        directory = Path(path) if path is not None else self.path
        if directory is None:
            raise RetrievalError("save() needs a path for an index that was never saved")
        wal = self._wal
        if wal is None or directory != self.path:
            directory.mkdir(parents=True, exist_ok=True)
            wal = WriteAheadLog(directory / WAL_FILE)  # takes the writer's lock
        elif wal.read_only:  # saving elsewhere is fine: that is a new writer there
            raise IndexBusyError(_OPENED_READ_ONLY.format(directory))
        if not wal.writable:  # checked before anything on disk changes
            if wal is not self._wal:
                wal.close()
            raise IndexBusyError(_READ_ONLY.format(directory))
        arrays = self._store.arrays()
        if self.quantizer.dim_scale is not None:
            arrays["dim_scale"] = self.quantizer.dim_scale
        try:
            if wal is not self._wal:
                # A log there belongs to the index being replaced: empty it before the
                # new data file appears, or a crash in between would replay its rows
                # into this index on the next open.
                wal.reset()
            write_data_file(directory / DATA_FILE, self._params(), arrays)
        except BaseException:
            if wal is not self._wal:
                wal.close()  # do not keep the lock of a directory this index did not take
            raise
        if wal is self._wal:
            self._wal.reset()  # a crash before this is harmless: replay skips folded rows
        else:
            if self._wal is not None:
                self._wal.close()
            self._wal, self.path = wal, directory

    def close(self) -> None:
        """Release the log file (the index stays usable in memory)."""
        if self._wal is not None:
            self._wal.close()
            self._wal = None

    # -- queries ------------------------------------------------------------------------
    def search(self, queries, k: int, *, rerank: int | None = None, threads: int | None = None):
        """Ids ``int64 [B, k]`` and scores ``float32 [B, k]`` of the best rows per
        query (higher is better; for ``l2`` the score is the squared distance,
        lower is better). Missing slots: id ``-1``, score ``-inf`` (``+inf`` for
        ``l2``); a ``k`` past the index size scans only the rows there are and
        pads, and one whose padded result cannot fit in memory is a
        RetrievalError. ``rerank = r`` re-scores the
        best ``r·k`` candidates exactly (needs ``keep_vectors``); ``threads``
        (default: every CPU, or ``NSL_THREADS``) splits the scan. ``k``,
        ``rerank`` and ``threads`` are integers (Python or numpy); anything
        else is a RetrievalError."""
        from nsl.runtime.retrieval.search import search_index

        single = getattr(queries, "ndim", None) == 1
        queries = _as_matrix(queries, self.dim, "queries")
        ids, scores = search_index(self, queries, k, rerank, threads)
        return (ids[0], scores[0]) if single else (ids, scores)

    def __len__(self) -> int:
        return self._store.count

    @property
    def dim(self) -> int:
        return self.quantizer.dim

    @property
    def writable(self) -> bool:
        """False when opened read-only, or while another process holds this index's
        log for writing."""
        return self._wal is None or self._wal.writable

    @property
    def ids(self):
        return self._store.ids

    def info(self) -> dict:
        """A JSON-ready summary (``nslc index info``)."""
        info = dict(self._params(), rows=len(self), bytes_per_row=self.quantizer.stride)
        if self._wal is not None:
            info["wal_bytes"] = self._wal.size()
        if self.log_damage is not None:
            # a damaged last log record: cut by this (writing) open, or skipped and left
            key = "wal_discarded_bytes" if self.log_damage["cut"] else "wal_ignored_bytes"
            info[key] = self.log_damage["bytes"]
        return info

    def _params(self) -> dict:
        params = {"dim": self.dim, "stride": self.quantizer.stride, "metric": self.metric,
                  "scale": self.quantizer.scheme, "keep_vectors": self.keep_vectors,
                  "quant": "int8"}
        if self.norms is not None:
            params["norms"] = self.norms
        return params

    def _record_layout(self):
        layout = [("ids", "<i8", ()), ("codes", "u1", (self.quantizer.stride,)),
                  ("row_scale", "<f4", ()), ("row_bias", "<f4", ())]
        if self.keep_vectors:
            layout.append(("vectors", "<f4", (self.dim,)))
        return layout

    def __repr__(self) -> str:
        where = f", path={str(self.path)!r}" if self.path else ""
        return f"VectorIndex(rows={len(self)}, dim={self.dim}, metric={self.metric!r}{where})"


def as_ids(ids, n: int):
    """``ids`` as int64 ``[n]``, or a RetrievalError: ids are integers from 0 to
    2**63 - 1 (a search reports a missing result as id -1, so a negative id
    could never be found)."""
    import numpy as np

    ids = np.asarray(ids)
    if ids.shape != (n,) or not np.issubdtype(ids.dtype, np.integer):
        raise RetrievalError(f"ids must be {n} integers")
    if n and ids.dtype.kind == "u" and ids.max() > np.iinfo(np.int64).max:
        at = int(np.argmax(ids > np.iinfo(np.int64).max))  # the first one
        raise RetrievalError(f"ids must fit in int64 (at most 2**63 - 1), but id {int(ids[at])} "
                             f"(position {at}) does not.")
    if n and ids.dtype.kind == "i" and ids.min() < 0:
        at = int(np.argmax(ids < 0))  # the first one
        raise RetrievalError(f"ids must not be negative (-1 marks a missing result), but id "
                             f"{int(ids[at])} (position {at}) is.")
    return ids.astype(np.int64)


def _as_matrix(values, dim, what):
    """A finite float32 ``[n, d]`` array, or a RetrievalError saying what is wrong."""
    import numpy as np

    try:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow: inf, refused below by row
            array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError):
        raise RetrievalError(f"{what} must be numeric") from None
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise RetrievalError(f"{what} must be a 2-d array, got {array.ndim} dimensions")
    if dim is not None and array.shape[1] != dim:
        raise RetrievalError(f"{what} have dimension {array.shape[1]}, the index has {dim}")
    if not np.isfinite(array).all():
        bad = int(np.argwhere(~np.isfinite(array))[0][0])
        raise RetrievalError(f"{what} contain NaN or infinity (row {bad})")
    return np.ascontiguousarray(array)


def float32_rows(array):
    """A 2-d number array as float32 (the precision an index keeps), or a
    RetrievalError naming the first row with a finite value past float32's
    range, which would become an infinity; numpy prints no warning first."""
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        cast = array.astype(np.float32, copy=False)
        overflow = np.isinf(cast) & np.isfinite(array) if array.dtype.itemsize > 4 else None
    if overflow is not None and overflow.any():
        row = int(np.argwhere(overflow)[0][0])
        error = RetrievalError(f"row {row} holds a value past float32's range (about 3.4e38), "
                               "the precision an index keeps")
        error.row = row
        raise error
    return cast


def squared_norms(vectors, what):
    """``‖x‖²`` per row in float32, or a RetrievalError naming the first row
    whose squared norm overflows float32 (l2 needs it finite: it is the row
    bias of the scan and part of every distance)."""
    import numpy as np

    from nsl.runtime.retrieval.quantization import finite_squared_norms

    with np.errstate(over="ignore"):
        return finite_squared_norms(np.einsum("ij,ij->i", vectors, vectors), what)


def _normalize(vectors):
    """Rows scaled to unit length (all-zero rows stay zero)."""
    import numpy as np

    with np.errstate(over="ignore", under="ignore"):
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    # float32 squares overflow from |x| ≈ 1.8e19 and vanish below ≈ 1e-23; those
    # rows get their norm in float64, where any float32 row's norm is finite
    redo = ~np.isfinite(norms[:, 0]) | ((norms[:, 0] == 0) & vectors.any(axis=1))
    if redo.any():
        wide = vectors[redo].astype(np.float64)
        unit[redo] = wide / np.linalg.norm(wide, axis=1, keepdims=True)
    return unit
