"""The pipeline on one screen: text → AST → checked program → IR → optimised IR."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from nsl.compiler import ir
from nsl.compiler.lower import lower
from nsl.compiler.passes import DEFAULT_PIPELINE
from nsl.compiler.pipeline import run_passes
from nsl.lang import ast as A
from nsl.lang.check import CheckedProgram, check_program
from nsl.lang.diagnostics import CompileError, SourceMap
from nsl.lang.loader import load_program


@dataclass
class Compilation:
    sources: SourceMap
    ast: A.Program
    checked: CheckedProgram
    lowered: ir.Module      # straight out of lowering
    module: ir.Module       # after the pass pipeline


def parse_only(text: str, file: str) -> tuple[A.Program, SourceMap]:
    sources = SourceMap()
    return load_program(text, file, sources), sources


def compile_source(text: str, file: str = "<input>", *, passes: Sequence[str] = DEFAULT_PIPELINE,
                   verify: bool = False,
                   after: Callable[[str, ir.Module], None] | None = None) -> Compilation:
    """Run every stage; raise CompileError (with all diagnostics) on the first stage that fails."""
    sources = SourceMap()
    program = load_program(text, file, sources)
    checked = check_program(program, sources)
    try:
        lowered = lower(checked)
        module = run_passes(lowered, passes, verify=verify, after=after)
    except CompileError as exc:  # every stage's diagnostics render with the source line
        raise exc.with_sources(sources) from None
    return Compilation(sources, program, checked, lowered, module)
