"""nsl.runtime.retrieval: int8-quantized vector indexes with JIT scans.

``VectorIndex`` (build / add / search / save / open), ``knn_search`` (the
batch call behind the ``knn`` relation). Numpy is imported where used; the
scan kernels come from ``nsl.compiler.jit`` and are compiled on first search.
"""
from nsl.runtime.retrieval.index import METRICS, IndexBusyError, RetrievalError, VectorIndex
from nsl.runtime.retrieval.search import knn_search
from nsl.runtime.retrieval.storage import CorruptIndexError

__all__ = ["VectorIndex", "knn_search", "RetrievalError", "IndexBusyError", "CorruptIndexError", "METRICS"]
