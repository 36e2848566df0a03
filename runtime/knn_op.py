"""The ``Knn`` operator and the loading of the indexes it searches.

``knn`` is vectorized over the binding table: the vector column is stacked into
one float32 ``[n, D]`` matrix, identical query vectors are searched once, one
``knn_search`` call answers the whole batch for the largest ``k`` of the batch,
and each row fans out into its (up to) ``k`` neighbours — missing slots (id
``-1``) and slots beyond the row's own ``k`` are dropped. Retrieval is certain:
each output row keeps its input row's tag (⊗ one).

``load_index`` turns an ``ir.Index`` and the path of its ``from`` file into a
searchable ``VectorIndex``: a ``.npy`` matrix (ids are row numbers) is
quantized in memory; a directory is opened read-only as a persistent index
(ids as stored). Problems raise :class:`IndexLoadError`; the caller positions them at
the declaration.
"""
from __future__ import annotations

import os

import torch

from nsl.compiler import ir

from .errors import NotAvailable, NslRuntimeError
from .expr import evaluate
from .table import Table


class IndexLoadError(NslRuntimeError):
    """An index's ``from`` file is missing, unreadable, or does not match its declaration
    (or a shapeless vector does not match the index); positioned at ``origin``."""

    def __init__(self, message: str, origin=None):
        self.message, self.origin = message, origin
        super().__init__(message)

    def diagnostic(self):
        from nsl.lang.diagnostics import error
        return error(self.message, self.origin)


def load_index(decl: ir.Index, path: str):
    """A ``VectorIndex`` for ``decl`` read from ``path`` (a ``.npy`` file or an index directory)."""
    from nsl.runtime.retrieval import CorruptIndexError, RetrievalError, VectorIndex

    shown = decl.source or path
    if not os.path.exists(path):
        raise IndexLoadError(f"index file '{shown}' does not exist", decl.origin)
    try:
        if os.path.isdir(path):
            # a reader: no write access needed, no lock taken, the log never cut or created
            index = VectorIndex.open(path, read_only=True)
            index.close()  # keep it in memory
            if index.metric != decl.metric:
                raise IndexLoadError(f"index '{decl.name}' is declared with metric = {decl.metric}, "
                                     f"but '{shown}' was built with metric {index.metric}", decl.origin)
            if decl.rerank is not None and not index.keep_vectors:
                raise IndexLoadError(f"index '{decl.name}' asks for rerank = {decl.rerank}, but "
                                     f"'{shown}' keeps no float vectors (build it with --keep-vectors)",
                                     decl.origin)
        else:
            vectors = _read_npy(path, shown, decl.origin)
            if vectors.shape[1] != decl.dim:
                raise IndexLoadError(f"index '{decl.name}' is declared with dim = {decl.dim}, but "
                                     f"'{shown}' holds vectors of dimension {vectors.shape[1]}",
                                     decl.origin)
            index = VectorIndex.build(vectors, decl.metric, keep_vectors=decl.rerank is not None)
    except (CorruptIndexError, RetrievalError, OSError) as exc:
        raise IndexLoadError(f"cannot load index '{decl.name}' from '{shown}': {exc}",
                             decl.origin) from None
    if index.dim != decl.dim:
        raise IndexLoadError(f"index '{decl.name}' is declared with dim = {decl.dim}, but '{shown}' "
                             f"holds vectors of dimension {index.dim}", decl.origin)
    return index


def _read_npy(path: str, shown: str, origin):
    import numpy as np

    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError):
        raise IndexLoadError(f"'{shown}' is neither a .npy file of vectors nor an index directory "
                             "made by `nslc index build`", origin) from None
    if not isinstance(array, np.ndarray) or array.ndim != 2 or array.dtype.kind not in "fiu":
        what = f"a {array.ndim}-d {array.dtype} array" if isinstance(array, np.ndarray) else "no array"
        raise IndexLoadError(f"'{shown}' holds {what}; an index needs a 2-d float matrix "
                             "(one vector per row)", origin)
    from nsl.runtime.retrieval.index import float32_rows

    return float32_rows(array)  # its RetrievalError: load_index names the index


def knn(op: ir.Knn, table: Table, prov, index, rerank, interner) -> Table:
    """Bind ``op.id``/``op.score`` to the nearest neighbours of each row's vector.

    ``index`` is the loaded ``VectorIndex`` (None: not loaded), ``rerank`` its
    declared re-ranking factor.
    """
    if index is None:
        raise NotAvailable(f"index '{op.index}' is not loaded (indexes are read from their "
                           "`from` files by Program.run)", op.origin)
    vectors = table.cols[op.vector]
    device = vectors.device
    k_values, ok = evaluate(op.k, table, interner)
    k_values = k_values.to(torch.int64)
    if ok is not None:
        k_values = torch.where(ok, k_values, torch.zeros_like(k_values))
    k_max = min(int(k_values.max()) if table.n else 0, len(index))
    if k_max <= 0:
        return _extend(table.take(prov, torch.zeros(0, dtype=torch.int64, device=device)),
                       op, torch.zeros(0, dtype=torch.int64), torch.zeros(0, dtype=torch.float64))
    flat = vectors.reshape(table.n, -1).to(torch.float32)
    if flat.shape[1] != index.dim:  # only a shapeless `tensor` column gets here
        raise IndexLoadError(f"knn's vectors have {flat.shape[1]} values, but index '{op.index}' "
                             f"holds vectors of dimension {index.dim}", op.origin)
    unique, inverse = torch.unique(flat, dim=0, return_inverse=True)  # search each vector once
    from nsl.runtime.retrieval import RetrievalError, knn_search

    try:
        ids, scores = knn_search(index, unique.detach().cpu().numpy(), k_max, rerank=rerank)
    except RetrievalError as exc:  # e.g. a vector too large for the metric
        row = getattr(exc, "row", None)
        if row is not None:  # a row of the deduplicated batch means nothing to the user
            shown = ", ".join(f"{v:g}" for v in unique[row][:4].tolist())
            more = ", ..." if unique.shape[1] > 4 else ""
            raise IndexLoadError(f"knn on index '{op.index}': the query vector [{shown}{more}] has "
                                 "a squared norm past float32's range (the l2 metric needs it); "
                                 "scale the vectors down", op.origin) from None
        raise IndexLoadError(f"knn on index '{op.index}': {exc}", op.origin) from None
    ids = torch.from_numpy(ids).to(device)[inverse]          # [n, k_max]
    scores = torch.from_numpy(scores).to(device)[inverse]
    slots = torch.arange(k_max, device=device)
    keep = (ids >= 0) & (slots[None, :] < k_values[:, None])
    rows, cols = torch.nonzero(keep, as_tuple=True)
    return _extend(table.take(prov, rows), op, ids[rows, cols], scores[rows, cols].to(torch.float64))


def _extend(table: Table, op: ir.Knn, ids, scores) -> Table:
    cols = dict(table.cols)
    cols[op.id] = ids.to(torch.int64)
    cols[op.score] = scores
    return Table(cols, table.tags, table.n)  # retrieval is certain: tags ⊗ one
