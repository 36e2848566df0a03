"""Constructs that parse and check today but whose execution arrives in later work.

``nslc run`` reports each one at its span instead of crashing or silently
ignoring it; ``check``, ``compile --emit ast`` and ``fmt`` accept them.
"""
from __future__ import annotations

from nsl.lang import ast as A
from nsl.lang.check.symbols import SymbolTable
from nsl.lang.diagnostics import Diagnostic, error
from nsl.lang.walk import atoms_in_body

_STATEMENTS = {
    A.TrainStmt: "training (`train`)",
    A.ConstraintStmt: "constraints",
    A.ProveStmt: "provers (`prove`)",
    A.EntailsStmt: "`entails`",
    A.SolveStmt: "`solve`",
}
AVAILABLE_PROVENANCES = ("bool",)


def unavailable(program: A.Program, table: SymbolTable) -> list[Diagnostic]:
    """One diagnostic per use of a construct that cannot run yet."""
    out = []
    for stmt in program.statements:
        what = _STATEMENTS.get(type(stmt))
        if what is not None:
            out.append(error(f"{what} cannot run yet in this version of nslc", stmt.span))
        elif isinstance(stmt, A.Rule):
            for atom, _ in atoms_in_body(stmt.body):
                info = table.relations.get(atom.rel)
                if info is not None and info.neural is not None:
                    out.append(error(f"neural module '{atom.rel}' cannot run yet in this version of nslc",
                                     atom.span))
        elif isinstance(stmt, A.Directive) and stmt.name == "provenance":
            names = [a for a in stmt.args if isinstance(a, str)]
            if names and names[0] not in AVAILABLE_PROVENANCES:
                out.append(error(f"provenance '{names[0]}' cannot run yet in this version of nslc "
                                 f"(available: {', '.join(AVAILABLE_PROVENANCES)})", stmt.span))
    return out
