"""The NSL abstract syntax tree: frozen dataclasses, each with a source span.

Nodes are hashable and compare structurally, so they can key caches. The span
is excluded from equality, so two programs that differ only in layout have
equal trees (the basis of ``fmt``'s meaning-preservation test).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from nsl.lang import structural
from nsl.lang.diagnostics import Span

_NOSPAN = Span.unknown()


def _span():
    return field(default=_NOSPAN, compare=False, repr=False)


# ---- expressions -------------------------------------------------------------
@dataclass(frozen=True)
class Var:
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class Wildcard:
    """``_``: a fresh anonymous variable at each occurrence."""

    span: Span = _span()


@dataclass(frozen=True)
class Const:
    value: Union[int, float, str, bool]
    span: Span = _span()


@dataclass(frozen=True)
class Duration:
    """A time literal such as ``2s`` or ``500ms``; ``seconds`` is its value."""

    seconds: float
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * / % ** ++
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class Neg:
    operand: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class Call:
    """A built-in function application: ``abs(x)``, ``min(a, b)``, ``distinct(q)``."""

    func: str
    args: tuple["Expr", ...]
    span: Span = _span()


@dataclass(frozen=True)
class KwArg:
    """``name = value`` inside the argument list of a builder, prover or index."""

    name: str
    value: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class Subscript:
    base: "Expr"
    index: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class ListExpr:
    items: tuple["Expr", ...]
    span: Span = _span()


@dataclass(frozen=True)
class Aggregate:
    """``op(vars: body)``; argmin/argmax add an ``objective``, forall a ``consequent``.

    The aggregate ranges over the distinct bindings of ``vars``; other variables
    local to the body are existential.
    """

    op: str  # count sum min max argmin argmax exists forall
    vars: tuple["Var", ...]
    body: "Body"
    objective: "Expr | None" = None
    consequent: "Body | None" = None
    span: Span = _span()


Expr = Union[Var, Wildcard, Const, Duration, BinOp, Neg, Call, KwArg, Subscript, ListExpr, Aggregate]


# ---- literals, bodies, clauses ----------------------------------------------
@dataclass(frozen=True)
class Atom:
    rel: str
    args: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Negation:
    atom: "Atom | Aggregate"
    span: Span = _span()


@dataclass(frozen=True)
class Comparison:
    op: str  # = == != < <= > >=
    left: Expr
    right: Expr
    span: Span = _span()


Literal = Union[Atom, Negation, Comparison, Aggregate]
Conjunction = tuple[Literal, ...]


@dataclass(frozen=True)
class Body:
    """A disjunction (``;``) of conjunctions (``,``)."""

    alternatives: tuple[Conjunction, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Rule:
    """A fact (``body is None``) or rule, optionally probabilistic (``prob``)."""

    head: Atom
    body: "Body | None" = None
    prob: "float | None" = None
    span: Span = _span()


@dataclass(frozen=True)
class AnnotatedDisjunction:
    """``p1 :: f1; p2 :: f2.``: at most one choice holds (exactly one if the p sum to 1)."""

    choices: tuple[tuple[float, Atom], ...]
    span: Span = _span()


# ---- formulas (constraints, provers) -----------------------------------------
@dataclass(frozen=True)
class TypeExpr:
    name: str  # int float real bool str tensor, or a declared type
    dims: tuple[int, ...] | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Binder:
    name: str
    type: "TypeExpr | None" = None
    domain: "str | None" = None  # ``x in Digit``
    span: Span = _span()


@dataclass(frozen=True)
class Quantified:
    quant: str  # forall exists exactly_one
    binders: tuple[Binder, ...]
    body: "Formula"
    span: Span = _span()


@dataclass(frozen=True)
class Connective:
    op: str  # and or -> <->
    left: "Formula"
    right: "Formula"
    span: Span = _span()


@dataclass(frozen=True)
class Not:
    operand: "Formula"
    span: Span = _span()


Formula = Union[Quantified, Connective, Not, Atom, Comparison, Call, Aggregate]


# ---- declarations and statements --------------------------------------------
@dataclass(frozen=True)
class RangeType:
    lo: int
    hi: int


@dataclass(frozen=True)
class EnumType:
    values: tuple[Union[int, float, str, bool], ...]


@dataclass(frozen=True)
class TypeDecl:
    name: str
    definition: Union[RangeType, EnumType, TypeExpr]
    span: Span = _span()


@dataclass(frozen=True)
class Param:
    name: str
    type: TypeExpr
    span: Span = _span()


@dataclass(frozen=True)
class RelDecl:
    """``rel`` or ``input`` declaration; ``params is None`` for a nullary relation."""

    name: str
    params: tuple[Param, ...] | None
    is_input: bool = False
    source: "str | None" = None
    span: Span = _span()


@dataclass(frozen=True)
class Builder:
    kind: str  # "stdlib" | "python"
    name: str  # builder name, or "module:attr" for python
    args: tuple[Expr, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class NeuralDecl:
    name: str
    params: tuple[Param, ...]
    output: TypeExpr
    builder: Builder
    span: Span = _span()


@dataclass(frozen=True)
class TrainStmt:
    modules: tuple[str, ...]
    goal: str
    data: "str | None"
    settings: tuple[KwArg, ...]
    span: Span = _span()


@dataclass(frozen=True)
class ConstraintStmt:
    name: str
    formula: Formula
    soft: bool = False
    weight: "float | None" = None
    span: Span = _span()


@dataclass(frozen=True)
class ProverSpec:
    name: str
    args: tuple[Expr, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class ProveStmt:
    """``prove [using P] name: formula.``; ``name == "consistent"`` and no formula for ``prove consistent.``"""

    name: str
    formula: "Formula | None"
    prover: "ProverSpec | None" = None
    span: Span = _span()


@dataclass(frozen=True)
class Option:
    name: str
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class EntailsStmt:
    name: str
    formula: Formula
    options: tuple[Option, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class Objective:
    kind: str  # minimize | maximize
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True)
class SolveStmt:
    name: str
    params: tuple[Param, ...]
    constraints: tuple[Formula, ...]
    objectives: tuple[Objective, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class IndexDecl:
    name: str
    args: tuple[Expr, ...]
    source: "str | None" = None
    span: Span = _span()


@dataclass(frozen=True)
class CheckIrStmt:
    name: str
    options: tuple[Option, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Import:
    path: tuple[str, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Query:
    atom: Atom
    span: Span = _span()


@dataclass(frozen=True)
class Directive:
    name: str
    args: tuple[Union[str, KwArg], ...]
    span: Span = _span()


Statement = Union[TypeDecl, RelDecl, Rule, AnnotatedDisjunction, NeuralDecl, TrainStmt,
                  ConstraintStmt, ProveStmt, EntailsStmt, SolveStmt, IndexDecl, CheckIrStmt,
                  Import, Query, Directive]


@dataclass(frozen=True)
class Program:
    statements: tuple[Statement, ...]
    file: str = "<input>"


# Compare, hash and print nodes with a loop, not recursion: an expression nests as deep
# as it is long (see structural.py). Equal results, equal hashes, equal text.
structural.install(globals())
