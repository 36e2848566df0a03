"""Collect declarations into a symbol table; report duplicates, unknown names, arity errors."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from nsl.lang import ast as A
from nsl.lang.diagnostics import Diagnostic, Span, error, note
from nsl.lang.walk import atoms_in_body, atoms_in_formula

# Relations the language provides: name -> arity.
BUILTIN_RELATIONS = {"knn": 5}


@dataclass
class RelationInfo:
    """What the program says about one relation."""

    name: str
    arity: int
    span: Span  # where it is first declared or defined
    decl: A.RelDecl | None = None
    neural: A.NeuralDecl | None = None
    builtin: bool = False
    rules: list = field(default_factory=list)   # A.Rule with a body
    facts: list = field(default_factory=list)   # A.Rule without a body / disjunction choices
    types: list = field(default_factory=list)   # inferred column types (None = unknown yet)

    @property
    def is_input(self) -> bool:
        return self.decl is not None and self.decl.is_input

    @property
    def kind(self) -> str:
        if self.is_input:
            return "input"
        return "idb" if self.rules else "edb"


@dataclass
class SymbolTable:
    types: dict[str, A.TypeDecl] = field(default_factory=dict)
    relations: dict[str, RelationInfo] = field(default_factory=dict)
    neural: dict[str, A.NeuralDecl] = field(default_factory=dict)
    indexes: dict[str, A.IndexDecl] = field(default_factory=dict)
    names: dict[str, tuple[str, Span]] = field(default_factory=dict)  # statement names (prove, ...)
    directives: list[A.Directive] = field(default_factory=list)


def collect(program: A.Program, diags: list[Diagnostic]) -> SymbolTable:
    """Build the symbol table from declarations and definitions, then check every use."""
    table = SymbolTable()
    for name, arity in BUILTIN_RELATIONS.items():
        table.relations[name] = RelationInfo(name, arity, Span.unknown("<builtin>"), builtin=True)
    for stmt in program.statements:
        _declare(table, stmt, diags)
    for stmt in program.statements:
        _define(table, stmt, diags)
    _check_index_names(table, diags)
    for stmt in program.statements:
        _check_uses(table, stmt, diags)
    return table


def _check_index_names(table: SymbolTable, diags) -> None:
    """An index may not share its name with a relation: only knn's first argument names an
    index, so it would be unambiguous, but a reader would take one for the other."""
    for name, decl in table.indexes.items():
        info = table.relations.get(name)
        if info is None:
            continue
        if info.builtin:
            diags.append(error(f"an index cannot be named '{name}', the built-in relation that "
                               "searches indexes", decl.span))
        else:
            kind = "neural module" if info.neural is not None else "relation"
            what = "declared" if info.decl is not None or info.neural is not None else "defined"
            diags.append(error(f"index '{name}' has the same name as a {kind}; rename one of them",
                               decl.span, note(f"{kind} '{name}' is {what} here", info.span)))


def _duplicate(diags, what: str, name: str, span: Span, first: Span) -> None:
    diags.append(error(f"duplicate declaration of {what} '{name}'", span,
                       note("first declared here", first)))


def _declare(table: SymbolTable, stmt, diags) -> None:
    if isinstance(stmt, A.TypeDecl):
        if stmt.name in table.types:
            _duplicate(diags, "type", stmt.name, stmt.span, table.types[stmt.name].span)
        elif stmt.name in ("int", "float", "real", "bool", "str", "tensor"):
            diags.append(error(f"'{stmt.name}' is a built-in type and cannot be redefined", stmt.span))
        else:
            table.types[stmt.name] = stmt
    elif isinstance(stmt, A.RelDecl):
        known = table.relations.get(stmt.name)
        if known is not None:
            _duplicate(diags, "relation", stmt.name, stmt.span, known.span)
            return
        arity = len(stmt.params) if stmt.params is not None else 0
        table.relations[stmt.name] = RelationInfo(stmt.name, arity, stmt.span, decl=stmt)
    elif isinstance(stmt, A.NeuralDecl):
        known = table.relations.get(stmt.name)
        if known is not None:
            _duplicate(diags, "relation", stmt.name, stmt.span, known.span)
            return
        table.neural[stmt.name] = stmt
        table.relations[stmt.name] = RelationInfo(stmt.name, len(stmt.params) + 1, stmt.span, neural=stmt)
    elif isinstance(stmt, A.IndexDecl):
        if stmt.name in table.indexes:
            _duplicate(diags, "index", stmt.name, stmt.span, table.indexes[stmt.name].span)
        else:
            table.indexes[stmt.name] = stmt
    elif isinstance(stmt, (A.ProveStmt, A.EntailsStmt, A.SolveStmt, A.ConstraintStmt, A.CheckIrStmt)):
        kind = type(stmt).__name__
        if stmt.name in table.names:
            _duplicate(diags, "statement name", stmt.name, stmt.span, table.names[stmt.name][1])
        else:
            table.names[stmt.name] = (kind, stmt.span)
    elif isinstance(stmt, A.Directive):
        table.directives.append(stmt)


def _define(table: SymbolTable, stmt, diags) -> None:
    heads = []
    if isinstance(stmt, A.Rule):
        heads = [(stmt.head, stmt)]
    elif isinstance(stmt, A.AnnotatedDisjunction):
        heads = [(atom, stmt) for _, atom in stmt.choices]
    elif isinstance(stmt, A.SolveStmt):
        # `solve q(x: int[8])` defines q(i, v) facts from the model.
        if stmt.name not in table.relations:
            table.relations[stmt.name] = RelationInfo(stmt.name, 2, stmt.span)
    for head, owner in heads:
        info = table.relations.get(head.rel)
        if info is None:
            info = table.relations[head.rel] = RelationInfo(head.rel, len(head.args), head.span)
        if info.builtin or info.neural is not None:
            what = "built-in relation" if info.builtin else "neural module"
            diags.append(error(f"cannot define facts or rules for {what} '{head.rel}'", head.span))
            continue
        if not _arity_ok(info, head, diags):
            continue
        if isinstance(owner, A.Rule) and owner.body is not None:
            info.rules.append(owner)
        else:
            info.facts.append(owner)


def _arity_ok(info: RelationInfo, atom: A.Atom, diags) -> bool:
    if len(atom.args) == info.arity:
        return True
    shown = f"{info.name}/{info.arity}" if info.arity else f"{info.name} (nullary)"
    where = "declared" if info.decl or info.neural else "first used"
    notes = () if info.builtin else (note(f"{where} here as {shown}", info.span),)
    diags.append(error(f"'{atom.rel}' takes {info.arity} argument{'s' * (info.arity != 1)}, "
                       f"given {len(atom.args)}", atom.span, *notes))
    return False


def suggest(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _check_atom_use(table: SymbolTable, atom: A.Atom, diags) -> None:
    info = table.relations.get(atom.rel)
    if info is None:
        if atom.rel in table.indexes:
            diags.append(error(f"unknown relation '{atom.rel}': '{atom.rel}' is an index; retrieve "
                               f"from it with knn({atom.rel}, vector, k, id, score)", atom.span))
            return
        diags.append(error(f"unknown relation '{atom.rel}'" + suggest(atom.rel, table.relations),
                           atom.span))
        return
    _arity_ok(info, atom, diags)


def _check_uses(table: SymbolTable, stmt, diags) -> None:
    if isinstance(stmt, A.Rule):
        for atom, _ in atoms_in_body(stmt.body):
            _check_atom_use(table, atom, diags)
    elif isinstance(stmt, A.Query):
        if stmt.atom.args or stmt.atom.rel not in table.relations:
            _check_atom_use(table, stmt.atom, diags)  # `query rel.` asks for the whole relation
    elif isinstance(stmt, (A.ConstraintStmt, A.EntailsStmt)):
        if isinstance(stmt, A.EntailsStmt) and any(o.name == "premises" for o in stmt.options):
            return  # its relations live in the other file
        for atom in atoms_in_formula(stmt.formula):
            _check_atom_use(table, atom, diags)
    elif isinstance(stmt, A.TrainStmt):
        for name in stmt.modules:
            if name not in table.neural:
                diags.append(error(f"unknown neural module '{name}'" + suggest(name, table.neural),
                                   stmt.span))
        if stmt.goal not in table.relations:
            diags.append(error(f"unknown relation '{stmt.goal}'" + suggest(stmt.goal, table.relations),
                               stmt.span))
    elif isinstance(stmt, A.NeuralDecl) and stmt.output.name not in _SCALARS:
        if stmt.output.name not in table.types:
            diags.append(error(f"unknown type '{stmt.output.name}'" + suggest(stmt.output.name, table.types),
                               stmt.output.span))


_SCALARS = ("int", "float", "real", "bool", "str", "tensor")
