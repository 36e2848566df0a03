"""NSL: a declarative neuro-symbolic language.

The public API. Heavy dependencies (torch, z3, llvmlite) are imported lazily,
where first needed, so ``import nsl`` and ``nslc --help`` stay fast.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["compile", "CompileError", "UsageError", "Program", "Result", "VectorIndex",
           "RetrievalError", "CorruptIndexError", "__version__"]


def __getattr__(name):  # PEP 562: lazy public names
    if name in ("compile", "Program", "Result"):
        from nsl import api
        return getattr(api, name)
    if name in ("CompileError", "UsageError"):
        from nsl.lang import diagnostics
        return getattr(diagnostics, name)
    if name in ("VectorIndex", "RetrievalError", "CorruptIndexError"):
        from nsl.runtime import retrieval
        return getattr(retrieval, name)
    raise AttributeError(f"module 'nsl' has no attribute {name!r}")


def __dir__():  # the lazy names too, for completion in IPython and editors
    return sorted(set(globals()) | set(__all__))
