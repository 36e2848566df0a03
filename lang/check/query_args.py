"""A query's arguments pick the rows it prints: each is a constant, a variable or ``_``.

``query path(1, x).`` prints the rows of ``path`` whose first column is 1; an
expression there (``query q(1 + 2).``) names no row the query could match by, so
it is reported at the argument, with the constant to write when it folds to one.
A constant must have its column's type, as in a rule body: the runtime would
otherwise read ``"1"`` as the int 1 (and fail on ``"a"``).
"""
from __future__ import annotations

from dataclasses import replace

from nsl.lang import ast as A
from nsl.lang.check.facts import constant_value
from nsl.lang.check.symbols import SymbolTable
from nsl.lang.check.types import check_atom_types
from nsl.lang.diagnostics import Diagnostic, error, note


def check_query_args(program: A.Program, table: SymbolTable, diags: list[Diagnostic]) -> None:
    """Report each query argument that is not a constant, a variable or ``_``, and each
    constant whose type does not fit its column."""
    for stmt in program.statements:
        if not isinstance(stmt, A.Query):
            continue
        args = []
        for arg in stmt.atom.args:
            if isinstance(arg, (A.Var, A.Wildcard)) or constant_value(arg) is not None:
                args.append(arg)
                continue
            diags.append(error("query arguments are constants, variables or `_`", arg.span,
                               note("to query computed values, derive them with a rule "
                                    "(`r(y) :- q(x), y = x + 1.`) and query that relation")))
            args.append(A.Wildcard(arg.span))  # reported: not typed as well
        check_atom_types(replace(stmt.atom, args=tuple(args)), table, diags)
