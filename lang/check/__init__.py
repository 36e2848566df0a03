"""Semantic checks: each check is one module; all run and report together.

``check_program`` is the stage between the parser and the lowering: it takes
an AST and returns a :class:`CheckedProgram` (the AST plus symbols, column
types and strata), or raises :class:`CompileError` with every error found.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from nsl.lang import ast as A
from nsl.lang.check.aggregate_order import check_aggregate_order
from nsl.lang.check.declarations import check_declarations
from nsl.lang.check.facts import check_facts
from nsl.lang.check.formulas import check_formulas
from nsl.lang.check.indexes import check_indexes
from nsl.lang.check.knn_places import check_knn_places
from nsl.lang.check.query_args import check_query_args
from nsl.lang.check.rule_forms import check_rule_forms
from nsl.lang.check.rule_values import check_rule_values
from nsl.lang.check.safety import check_safety
from nsl.lang.check.singletons import check_singletons
from nsl.lang.check.stratify import stratify
from nsl.lang.check.symbols import SymbolTable, collect
from nsl.lang.check.types import infer_and_check
from nsl.lang.diagnostics import CompileError, Diagnostic, SourceMap, has_errors


@dataclass
class CheckedProgram:
    program: A.Program
    symbols: SymbolTable
    strata: list[list[str]]
    warnings: list[Diagnostic] = field(default_factory=list)
    sources: SourceMap | None = None  # for rendering what later stages report

    @property
    def provenance(self) -> tuple[str, tuple]:
        """(name, ((key, value), ...)) from ``@provenance``, default ``bool``."""
        for d in self.symbols.directives:
            if d.name == "provenance":
                names = [a for a in d.args if isinstance(a, str)]
                kwargs = tuple((a.name, getattr(a.value, "value", None)) for a in d.args
                               if isinstance(a, A.KwArg))
                return (names[0] if names else "bool", kwargs)
        return ("bool", ())


def check_program(program: A.Program, sources: SourceMap | None = None) -> CheckedProgram:
    """Run every check; raise CompileError listing all errors (in source order)."""
    diags: list[Diagnostic] = []
    table = collect(program, diags)
    check_declarations(program, table, diags)
    check_indexes(program, table, diags)
    check_knn_places(program, table, diags)
    infer_and_check(program, table, diags)
    check_facts(program, table, diags)
    check_rule_forms(program, diags)
    check_query_args(program, table, diags)
    check_rule_values(program, table, diags)
    check_safety(program, table, diags)
    check_aggregate_order(program, table, diags)
    strata = stratify(program, table, diags)
    check_singletons(program, diags)
    check_formulas(program, table, diags)
    if has_errors(diags):
        errors = sorted((d for d in diags if d.severity == "error"),
                        key=lambda d: (d.span.file, d.span.line, d.span.col) if d.span else ("", 0, 0))
        raise CompileError(errors, sources)
    return CheckedProgram(program, table, strata, [d for d in diags if d.severity != "error"], sources)
