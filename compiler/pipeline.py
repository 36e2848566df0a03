"""Run IR passes by name, verifying after each when asked."""
from __future__ import annotations

from typing import Callable, Sequence

from nsl.compiler import ir
from nsl.compiler.passes import DEFAULT_PIPELINE, PASSES


def run_passes(module: ir.Module, names: Sequence[str] = DEFAULT_PIPELINE, *, verify: bool = False,
               after: Callable[[str, ir.Module], None] | None = None) -> ir.Module:
    """Apply the named passes in order; ``verify`` checks the IR before and after each."""
    if verify:
        _verify(module, "lowering")
    for name in names:
        module = PASSES[name].apply(module)
        if verify:
            _verify(module, name)
        if after is not None:
            after(name, module)
    return module


def _verify(module: ir.Module, stage: str) -> None:
    from nsl.compiler.verify import verify_module
    from nsl.lang.diagnostics import CompileError, error

    diags = verify_module(module)
    if diags:
        raise CompileError([error(f"internal: IR verification failed after {stage}: {d.message}",
                                  d.span) for d in diags])
