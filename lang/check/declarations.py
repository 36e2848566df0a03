"""Well-formed declarations: input schemas, type definitions, directives."""
from __future__ import annotations

from nsl.lang import ast as A
from nsl.lang.check.facts import INT_MAX, INT_MIN
from nsl.lang.check.symbols import SymbolTable
from nsl.lang.diagnostics import Diagnostic, error

FACT_FILE_SUFFIXES = (".csv", ".tsv", ".jsonl")
PROVENANCES = ("bool", "minmax", "addmult", "exact", "topk_proofs",
               "diff_minmax", "diff_addmult", "diff_topk_proofs")


def check_declarations(program: A.Program, table: SymbolTable, diags: list[Diagnostic]) -> None:
    for stmt in program.statements:
        if isinstance(stmt, A.TypeDecl):
            _check_type(stmt, diags)
        elif isinstance(stmt, A.RelDecl) and stmt.is_input:
            _check_input(stmt, table, diags)
        elif isinstance(stmt, A.Directive):
            _check_directive(stmt, program, diags)
        elif isinstance(stmt, A.CheckIrStmt):
            check_ir_options(stmt, diags)


def _check_type(decl: A.TypeDecl, diags) -> None:
    d = decl.definition
    bounds = (d.lo, d.hi) if isinstance(d, A.RangeType) else ()
    out_of_range = [b for b in bounds if not INT_MIN <= b <= INT_MAX]
    if out_of_range:
        diags.append(error(f"range type bound {out_of_range[0]} does not fit in 64 bits "
                           "(a range type holds ints)", decl.span))
    elif isinstance(d, A.RangeType) and d.lo > d.hi:
        diags.append(error(f"empty range type: {d.lo}..{d.hi} (the lower bound exceeds the upper)", decl.span))
    elif isinstance(d, A.EnumType):
        kinds = {type(v) for v in d.values}
        if len(kinds) > 1:
            diags.append(error("the values of an enumerated type must all have one type", decl.span))
        if len(set(d.values)) != len(d.values):
            diags.append(error("an enumerated type lists a value twice", decl.span))


def _check_input(decl: A.RelDecl, table: SymbolTable, diags) -> None:
    info = table.relations.get(decl.name)
    if info is not None and info.rules:
        diags.append(error(f"input relation '{decl.name}' cannot also be defined by rules; its "
                           "facts are supplied at run time", info.rules[0].head.span))
    if decl.source is not None and not decl.source.lower().endswith(FACT_FILE_SUFFIXES):
        diags.append(error(f"input file '{decl.source}' must be .csv, .tsv or .jsonl", decl.span))
    if decl.source is not None and not decl.params and decl.source.lower().endswith((".csv", ".tsv")):
        diags.append(error("a nullary relation can be read only from a .jsonl facts file (a line "
                           "`[]` makes it true): a CSV/TSV row has at least one field", decl.span))
    if decl.source is not None and decl.params and not decl.source.lower().endswith(".jsonl"):
        for p in decl.params:
            if p.type.name == "tensor":
                diags.append(error("tensor columns can be read only from a .jsonl fact file "
                                   "(arrays of numbers), or supplied from Python", p.type.span))
    names = [p.name for p in decl.params or ()]
    for i, p in enumerate(decl.params or ()):
        if p.name in names[:i]:
            diags.append(error(f"column '{p.name}' is declared twice", p.span))


def _check_directive(d: A.Directive, program: A.Program, diags) -> None:
    if d.name != "provenance":
        diags.append(error(f"unknown directive '@{d.name}' (known: @provenance)", d.span))
        return
    names = [a for a in d.args if isinstance(a, str)]
    if len(names) != 1 or names[0] not in PROVENANCES:
        diags.append(error("@provenance names one of: " + ", ".join(PROVENANCES), d.span))
    else:
        _check_provenance_options(names[0], [a for a in d.args if isinstance(a, A.KwArg)], diags)
    directives = [s for s in program.statements if isinstance(s, A.Directive) and s.name == "provenance"]
    if directives and directives[0] is not d:
        diags.append(error("@provenance is given more than once", d.span))
    elif d.span.file == program.file and program.statements and program.statements[0] is not d:
        diags.append(error("@provenance must come before every other statement of the file "
                           "(it sets how all of them are evaluated)", d.span))


# The options each provenance takes: name -> (type, check, what it must be).
_PROVENANCE_OPTIONS = {
    "topk_proofs": {"k": (int, lambda v: v >= 1, "a positive int")},
    "diff_topk_proofs": {"k": (int, lambda v: v >= 1, "a positive int")},
}


def _check_provenance_options(name: str, options: list, diags) -> None:
    allowed = _PROVENANCE_OPTIONS.get(name, {})
    seen = set()
    for opt in options:
        if opt.name not in allowed:
            takes = (f"takes only {', '.join(f'`{k}`' for k in allowed)}" if allowed
                     else "takes no options")
            diags.append(error(f"provenance '{name}' has no option '{opt.name}' (it {takes})",
                               opt.span))
            continue
        if opt.name in seen:
            diags.append(error(f"option '{opt.name}' is given more than once", opt.span))
        seen.add(opt.name)
        kind, valid, what = allowed[opt.name]
        value = getattr(opt.value, "value", opt.value)
        if type(value) is not kind or not valid(value):
            diags.append(error(f"option '{opt.name}' of provenance '{name}' must be {what}",
                               opt.span))


CHECK_IR_OPTIONS = {"reference": "str", "candidate": "str", "function": "str", "mode": "mode",
                    "unroll": "int", "samples": "int", "timeout": "duration"}


def check_ir_options(stmt: A.CheckIrStmt, diags: list[Diagnostic]) -> None:
    """``check_ir NAME { reference: "a.ll", candidate: "b.ll", function: "f", ... }``."""
    seen = set()
    for opt in stmt.options:
        kind = CHECK_IR_OPTIONS.get(opt.name)
        if kind is None:
            diags.append(error(f"unknown check_ir option '{opt.name}' (known: "
                               f"{', '.join(CHECK_IR_OPTIONS)})", opt.span))
            continue
        if opt.name in seen:
            diags.append(error(f"option '{opt.name}' is given twice", opt.span))
        seen.add(opt.name)
        value = opt.value
        ok = {
            "str": isinstance(value, A.Const) and isinstance(value.value, str),
            "int": isinstance(value, A.Const) and type(value.value) is int and value.value >= 0,
            "mode": (isinstance(value, A.Var) and value.name in ("refine", "equiv"))
                    or (isinstance(value, A.Const) and value.value in ("refine", "equiv")),
            "duration": isinstance(value, A.Duration) and value.seconds > 0
                        or (isinstance(value, A.Const) and type(value.value) in (int, float) and value.value > 0),
        }[kind]
        if not ok:
            expected = {"str": "a string", "int": "a non-negative integer", "mode": "refine or equiv",
                        "duration": "a duration such as 2s"}[kind]
            diags.append(error(f"check_ir option '{opt.name}' must be {expected}", opt.value.span
                               if hasattr(opt.value, "span") else opt.span))
    if "reference" not in seen:
        diags.append(error("check_ir needs `reference: \"file.ll\"`", stmt.span))
