"""Where the built-in ``knn`` may stand: as a positive literal of a rule body (or of an
aggregate's body), nowhere else.

``knn`` is a search run for each bound vector, not a stored relation: there is no
table to negate, query, train on or reason over in a formula. Each such use gets
one error at the atom, and the checks that would misread its first argument (an
index name) as a variable leave it alone.
"""
from __future__ import annotations

from nsl.lang import ast as A
from nsl.lang.check.symbols import SymbolTable
from nsl.lang.diagnostics import Diagnostic, error
from nsl.lang.walk import aggregates_in, atoms_in_formula

_DERIVE = "`near(q, d) :- question(q, v), knn(INDEX, v, k, d, _).`"
_FORMULAS = {A.ConstraintStmt: "constraint", A.ProveStmt: "prove", A.EntailsStmt: "entails",
             A.SolveStmt: "solve"}


def is_builtin(atom, table: SymbolTable) -> bool:
    """Whether ``atom`` is a relation atom of a built-in relation (``knn``), whatever its arity."""
    if not isinstance(atom, A.Atom):
        return False
    info = table.relations.get(atom.rel)
    return info is not None and info.builtin


def check_knn_places(program: A.Program, table: SymbolTable, diags: list[Diagnostic]) -> None:
    """Report every negated, queried, trained-on or formula use of ``knn``."""
    for stmt in program.statements:
        if isinstance(stmt, A.Rule) and stmt.body is not None:
            _body(stmt.body, table, diags)
        elif isinstance(stmt, A.Query) and is_builtin(stmt.atom, table):
            diags.append(error(f"{stmt.atom.rel} is a built-in relation and cannot be queried; query a "
                               f"relation derived from it ({_DERIVE})", stmt.atom.span))
        elif isinstance(stmt, A.TrainStmt) and stmt.goal in table.relations \
                and table.relations[stmt.goal].builtin:
            diags.append(error(f"{stmt.goal} is a built-in relation and cannot be a training goal",
                               stmt.span))
        elif type(stmt) in _FORMULAS:
            what = _FORMULAS[type(stmt)]
            formulas = stmt.constraints if isinstance(stmt, A.SolveStmt) else (stmt.formula,)
            for f in formulas:
                if f is None:
                    continue
                for atom in atoms_in_formula(f):
                    if is_builtin(atom, table):
                        diags.append(error(f"{atom.rel} cannot be used in {what} formulas (it searches "
                                           "an index for bound vectors); derive the neighbours into a "
                                           f"relation with a rule ({_DERIVE}) and use that relation",
                                           atom.span))


def _body(body: A.Body, table: SymbolTable, diags) -> None:
    stack = [body]  # explicit: aggregates nest
    while stack:
        for conj in stack.pop().alternatives:
            for lit in conj:
                if isinstance(lit, A.Negation) and is_builtin(lit.atom, table):
                    diags.append(error(f"{lit.atom.rel} cannot be negated; derive the neighbours into a "
                                       f"relation first ({_DERIVE}) and negate that relation", lit.span))
                for agg in _aggregates(lit):
                    stack.extend(b for b in (agg.body, agg.consequent) if b is not None)


def _aggregates(lit):
    """The aggregates a literal holds directly (their own bodies are walked in turn)."""
    if isinstance(lit, A.Aggregate):
        yield lit
    elif isinstance(lit, A.Negation) and isinstance(lit.atom, A.Aggregate):
        yield lit.atom
    elif isinstance(lit, A.Comparison):
        for side in (lit.right, lit.left):  # the order they were always visited in
            yield from aggregates_in(side)
