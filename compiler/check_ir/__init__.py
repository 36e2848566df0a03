"""IR translation checks (``nslc check-ir``): does a candidate LLVM function
behave like a reference one? Native differential testing plus an SMT proof
with poison and UB for an integer subset. See docs/check-ir.md."""
from __future__ import annotations

__all__ = ["check_ir", "check_ir_text", "validate_optimisation", "CheckIrResult", "Counterexample"]


def __getattr__(name):  # lazy: importing the package must not import llvmlite or z3
    if name in ("check_ir", "check_ir_text", "validate_optimisation"):
        from . import api
        return getattr(api, name)
    if name in ("CheckIrResult", "Counterexample"):
        from . import verdict
        return getattr(verdict, name)
    raise AttributeError(name)
