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
        raise CompileError(_one_per_module(errors, sources), sources)
    return CheckedProgram(program, table, strata, [d for d in diags if d.severity != "error"], sources)


def _one_per_module(errors: list, sources) -> list:
    """Errors inside an imported standard module follow from the program's own relations
    (``edge`` missing, or its columns of two types, seen at each use): keep the first per
    module, with a note saying how many followed and what the module needs (its header
    comment)."""
    from collections import Counter
    from dataclasses import replace

    from nsl.lang.diagnostics import note

    in_module = Counter(d.span.file for d in errors if d.span is not None and d.span.file.startswith("<std."))
    out, shown = [], set()
    for d in errors:
        module = d.span.file if d.span is not None else None
        if module in in_module:
            if module in shown:
                continue
            shown.add(module)
            more = in_module[module] - 1
            if more:
                needs = _module_header(module, sources)
                d = replace(d, notes=d.notes + (note(
                    f"{more} more error{'s' * (more != 1)} in {module} follow from the same "
                    "relations and are not shown" + (f"; {needs}" if needs else "")),))
        out.append(d)
    return out


def _module_header(module: str, sources) -> str:
    """The leading ``//`` comment of a module's source, as one sentence."""
    lines = []
    for number in range(1, 20):
        text = sources.line(module, number) if sources is not None else None
        if text is None or not text.startswith("//"):
            break
        lines.append(text[2:].strip())
    return " ".join(lines)
