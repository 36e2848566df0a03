"""The relational IR: the only thing the runtime sees.

A :class:`Module` lists relation schemas, fact tables and **strata**. A
stratum computes its relations to a fixpoint: ``init`` rules run once, then
``loop`` rules run until no relation of the stratum changes. A rule is a
linear pipeline of operators over a *binding table* whose columns are named by
variables; it starts from the unit table (one row, no columns) and ends with
an :class:`Insert`. Before the ``semi_naive`` pass every scan reads the
``full`` relation (naive evaluation); after it, loop rules read the ``delta``
(facts new in the previous iteration) of one recursive atom each.

Every node is a frozen, hashable dataclass. ``origin`` fields carry the source
location a node came from (as debug locations do in LLVM); they are data, not
syntax, and are ignored by equality.

Text form: see ``compiler/ir_printer.py`` (and ``ir_parser.py`` to read it back).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from nsl.lang import structural
from nsl.lang.diagnostics import Span

# Column types: "int", "float", "str", "bool", or "tensor[d1,d2,...]".
IRType = str
SCALAR_TYPES = ("int", "float", "str", "bool")


def _origin():
    return field(default=None, compare=False, repr=False)


# ---- expressions ---------------------------------------------------------------
@dataclass(frozen=True)
class ColRef:
    """The value of variable ``name`` in the current binding table."""

    name: str
    type: IRType


@dataclass(frozen=True)
class Lit:
    value: Union[int, float, str, bool]
    type: IRType


# Binary operators. Arithmetic on ints is 64-bit; `div` truncates toward zero and
# `mod` is its remainder (C semantics); a row that divides by zero is dropped.
ARITH_OPS = ("add", "sub", "mul", "div", "mod", "pow", "concat", "min", "max")
CMP_OPS = ("eq", "ne", "lt", "le", "gt", "ge")
UNARY_OPS = ("neg", "abs")


@dataclass(frozen=True)
class BinExpr:
    op: str  # one of ARITH_OPS or CMP_OPS (comparisons have type "bool")
    left: "Expr"
    right: "Expr"
    type: IRType


@dataclass(frozen=True)
class UnExpr:
    op: str  # one of UNARY_OPS
    operand: "Expr"
    type: IRType


Expr = Union[ColRef, Lit, BinExpr, UnExpr]


# ---- atom arguments ------------------------------------------------------------
@dataclass(frozen=True)
class Wild:
    """An argument position that matches anything and binds nothing."""


Term = Union[ColRef, Lit, Wild]  # a ColRef names a variable: bound → key, unbound → new column


# ---- operators -----------------------------------------------------------------
@dataclass(frozen=True)
class Join:
    """Join the table with ``rel`` (``version`` full or delta) matching ``args``.

    A ColRef already in the table is a join key; a new one becomes a column (a
    variable repeated among the new ones must match itself); a Lit filters; a
    Wild matches anything. Tags multiply (⊗).
    """

    rel: str
    version: str  # "full" | "delta"
    args: tuple[Term, ...]
    origin: Span | None = _origin()


@dataclass(frozen=True)
class AntiJoin:
    """Keep the rows with no match in ``rel`` (stratified negation).

    Every ColRef in ``args`` is bound; Wild positions are existential. Under a
    probabilistic provenance the row's tag is multiplied by the negated tag of
    the match.
    """

    rel: str
    args: tuple[Term, ...]
    origin: Span | None = _origin()


@dataclass(frozen=True)
class Filter:
    """Keep rows where ``cond`` (a bool expression) holds."""

    cond: Expr
    origin: Span | None = _origin()


@dataclass(frozen=True)
class Map:
    """Bind the new variable ``var`` to ``expr`` for every row."""

    var: str
    expr: Expr
    origin: Span | None = _origin()


AGGREGATE_OPS = ("count", "sum", "min", "max", "argmin", "argmax", "exists", "not_exists")


@dataclass(frozen=True)
class Aggregate:
    """A correlated aggregate.

    The body is evaluated from the distinct projection of the outer table on
    ``keys`` (each alternative in ``body`` a pipeline without Insert, their
    results unioned), deduplicated on ``keys + vars``, grouped by ``keys`` and
    reduced; the result joins back on ``keys``:

    * ``count``/``sum``: ``results[0]`` is the count / sum of ``vars[0]``; a
      group with no rows gives 0.
    * ``min``/``max``: ``results[0]`` is the extreme of ``vars[0]``; an empty
      group drops the outer row.
    * ``argmin``/``argmax``: ``results`` (one per var) are the witnesses whose
      ``objective`` is extreme (all ties); an empty group drops the row.
    * ``exists``/``not_exists``: no results; keep outer rows whose group is
      non-empty / empty.
    """

    op: str
    results: tuple[str, ...]
    vars: tuple[str, ...]
    keys: tuple[str, ...]
    body: tuple[tuple["Op", ...], ...]
    objective: "Expr | None" = None
    result_types: tuple[IRType, ...] = ()
    origin: Span | None = _origin()


@dataclass(frozen=True)
class Neural:
    """Call neural module ``module`` on the input columns as one batch; bind ``output``.

    Each row fans out over the output domain, tagged by the module's probabilities.
    """

    module: str
    inputs: tuple[str, ...]
    output: str
    origin: Span | None = _origin()


@dataclass(frozen=True)
class Knn:
    """Nearest neighbours of the vector column ``vector`` in index ``index``."""

    index: str
    vector: str
    k: Expr
    id: str
    score: str
    origin: Span | None = _origin()


@dataclass(frozen=True)
class Weight:
    """Each row holds independently with probability ``prob`` (a probabilistic rule)."""

    prob: float
    origin: Span | None = _origin()


@dataclass(frozen=True)
class Check:
    """Every row's ``expr`` must be a value of a declared range or enum type -- the ints
    ``lo..hi``, or one of ``values`` -- else the run stops with an error at ``origin``
    (the head argument) naming ``type_text`` (``Digit = 0..9``).

    Rules compute values no fact could hold (``d + 1``, a count); checks stand last
    in a rule, after every operator that drops rows and before the Insert, so only
    rows the rule really derives are checked.
    """

    expr: "Expr"
    type_text: str
    lo: "int | None" = None
    hi: "int | None" = None
    values: tuple = ()
    origin: Span | None = _origin()


@dataclass(frozen=True)
class Insert:
    """Project the table onto ``exprs`` and add the rows to ``rel`` (tags ⊕ on duplicates)."""

    rel: str
    exprs: tuple[Expr, ...]
    origin: Span | None = _origin()


Op = Union[Join, AntiJoin, Filter, Map, Aggregate, Neural, Knn, Weight, Check, Insert]


# ---- program structure ---------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    name: str
    ops: tuple[Op, ...]
    origin: Span | None = _origin()


@dataclass(frozen=True)
class Stratum:
    """Relations computed together; ``recursive`` iff ``loop`` may be non-empty."""

    relations: tuple[str, ...]
    recursive: bool
    init: tuple[Rule, ...]
    loop: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Relation:
    """A schema. ``kind``: "input" (supplied at run time), "edb" (facts only) or "idb" (derived)."""

    name: str
    types: tuple[IRType, ...]
    kind: str
    source: "str | None" = None  # input file given with `from`
    origin: Span | None = _origin()


@dataclass(frozen=True)
class FactRow:
    """One fact; ``prob`` None means certain; rows sharing a ``group`` are an annotated disjunction.

    ``origin`` is the fact's atom in the source, so an error about the row points at it.
    """

    values: tuple[Union[int, float, str, bool], ...]
    prob: "float | None" = None
    group: "int | None" = None
    origin: Span | None = _origin()


@dataclass(frozen=True)
class Facts:
    """The literal facts of ``rel``; ``origin`` is its first row's."""

    rel: str
    rows: tuple[FactRow, ...]
    origin: Span | None = _origin()


INDEX_METRICS = ("ip", "cosine", "l2")
INDEX_QUANTS = ("int8",)


@dataclass(frozen=True)
class Index:
    """A vector index ``knn`` searches: ``dim``-dimensional, ``quant`` codes, ``metric`` scores.

    ``source`` is a ``.npy`` file of float rows (ids are row numbers) or a
    persistent index directory (ids as stored); ``rerank`` re-scores the best
    ``rerank * k`` candidates exactly.
    """

    name: str
    dim: int
    quant: str
    metric: str
    rerank: "int | None" = None
    source: "str | None" = None
    origin: Span | None = _origin()


@dataclass(frozen=True)
class QuerySpec:
    """A ``query`` statement: the rows of ``rel`` that match ``args`` (Lit filters, others free)."""

    rel: str
    args: tuple[Term, ...]
    origin: Span | None = _origin()


@dataclass(frozen=True)
class Module:
    relations: tuple[Relation, ...]
    facts: tuple[Facts, ...]
    strata: tuple[Stratum, ...]
    outputs: tuple[str, ...]  # relations whose contents the caller wants
    queries: tuple[QuerySpec, ...] = ()
    provenance: tuple = ("bool", ())  # (name, ((key, value), ...))
    indexes: tuple[Index, ...] = ()  # the vector indexes Knn ops search

    def index(self, name: str) -> Index:
        for i in self.indexes:
            if i.name == name:
                return i
        raise KeyError(name)

    def relation(self, name: str) -> Relation:
        for r in self.relations:
            if r.name == name:
                return r
        raise KeyError(name)


# Compare, hash and print nodes with a loop, not recursion: an expression nests as deep
# as it is long (see structural.py). Equal results, equal hashes, equal text.
structural.install(globals())
