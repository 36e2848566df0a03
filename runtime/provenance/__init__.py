"""Provenance semirings, by name. A new one is one file plus one line in ``_REGISTRY``."""
from __future__ import annotations

from nsl.runtime.errors import NotAvailable

from .base import Provenance

_REGISTRY = {
    "bool": ("nsl.runtime.provenance.boolean", "BoolProvenance"),
}


def make_provenance(spec) -> Provenance:
    """A provenance from ``Module.provenance`` — ``(name, ((key, value), ...))`` — or a name."""
    name, options = (spec, ()) if isinstance(spec, str) else (spec[0], spec[1])
    if name not in _REGISTRY:
        raise NotAvailable(f"provenance '{name}' is not available in this runtime "
                           f"(available: {', '.join(sorted(_REGISTRY))})")
    import importlib
    module, cls = _REGISTRY[name]
    return getattr(importlib.import_module(module), cls)(**dict(options))


__all__ = ["Provenance", "make_provenance"]
