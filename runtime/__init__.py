"""nsl.runtime: executes IR modules with vectorized, columnar operators (see README.md).

Public API: ``execute(module, inputs=None, provenance=None, indexes=None,
max_iterations=None, progress=None) -> Database`` (``progress`` receives
``StratumProgress`` records), plus ``load_facts`` and the errors. Names are resolved lazily so that importing the
errors (or ``nsl.runtime`` itself) does not import torch.
"""
from __future__ import annotations

__all__ = ["execute", "StratumProgress", "Database", "Interner", "load_facts", "make_provenance",
           "NotAvailable", "FactFileError", "NslRuntimeError", "NoFixpointError"]

_LAZY = {
    "execute": "nsl.runtime.executor", "StratumProgress": "nsl.runtime.executor",
    "Database": "nsl.runtime.database",
    "Interner": "nsl.runtime.interner", "load_facts": "nsl.runtime.io",
    "make_provenance": "nsl.runtime.provenance", "NotAvailable": "nsl.runtime.errors",
    "FactFileError": "nsl.runtime.errors", "NslRuntimeError": "nsl.runtime.errors",
    "NoFixpointError": "nsl.runtime.errors",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nsl.runtime' has no attribute {name!r}")
