"""NSL: a declarative neuro-symbolic language.

The public API. Heavy dependencies (torch, z3, llvmlite) are imported lazily,
where first needed, so ``import nsl`` and ``nslc --help`` stay fast.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["compile", "CompileError", "Program", "Result", "VectorIndex", "__version__"]


def __getattr__(name):  # PEP 562: lazy public names
    if name in ("compile", "Program", "Result"):
        from nsl import api
        return getattr(api, name)
    if name == "CompileError":
        from nsl.lang.diagnostics import CompileError
        return CompileError
    if name == "VectorIndex":
        from nsl.runtime.retrieval import VectorIndex
        return VectorIndex
    raise AttributeError(f"module 'nsl' has no attribute {name!r}")
