"""The IR's text form: :func:`print_module` writes a :class:`~nsl.compiler.ir.Module`.

One op per line, nested blocks indented by two spaces, and every field of every
node spelled out, so that :func:`nsl.compiler.ir_parser.parse_module` reads the
text back to an equal module. A sketch::

    relation edge(int, int) edb
    relation reach(int) idb
    index memory(dim = 4, quant = int8, metric = cosine) from "memory.npy"
    facts edge {
      (1, 2)
      0.5 :: (2, 3) in group 0
    }
    stratum 0 [reach] recursive {
      init rule reach#0 {
        join edge full (a:int, _)
        insert reach (a:int)
      }
      loop rule reach#1 {
        join reach delta (a:int)
        join edge full (a:int, b:int)
        filter (ne b:int 7:int):bool
        insert reach (b:int)
      }
    }
    outputs reach
    provenance bool

Names that are not plain identifiers (or are keywords) are written in
backquotes, so a name can never be confused with a string literal.
"""
from __future__ import annotations

import math
import re

from nsl.compiler import ir
from nsl.lang.diagnostics import Span

# Every word the grammar spells as a literal. A name spelled like one is quoted:
# an LALR state may expect both a name and a keyword (after an expression, the
# next token may be a second operand or the next op), so the lexer would read
# the keyword. A test keeps this set in step with ir_grammar.py.
KEYWORDS = frozenset("""
    relation facts stratum recursive init loop rule join antijoin filter map
    aggregate neural knn weight check insert outputs query provenance by objective
    types or in group from true false nan inf loc _ index
""".split())

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_#.]*\Z")
_PLAIN_TYPE = re.compile(r"tensor\[[A-Za-z0-9_,?]*\]\Z")
_INDENT = "  "


def print_module(module: ir.Module, with_locations: bool = False) -> str:
    """The text form of ``module``: deterministic, one op per line, ends with a newline.

    ``with_locations`` appends each node's ``origin`` as ``loc("file":l:c:el:ec)``.
    """
    return _Printer(with_locations).module(module)


def format_expr(expr: ir.Expr) -> str:
    """One expression in the text form (used in diagnostics, too)."""
    # An explicit stack, not recursion: an expression nests as deep as it is long
    # (``y + 1 + 1 + ...``). Entries are nodes still to write, or text written as it is.
    parts: list[str] = []
    stack: list = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, str):
            parts.append(e)
        elif isinstance(e, ir.ColRef):
            parts.append(f"{format_name(e.name)}:{format_type(e.type)}")
        elif isinstance(e, ir.Lit):
            parts.append(f"{format_value(e.value)}:{format_type(e.type)}")
        elif isinstance(e, ir.BinExpr):
            parts.append(f"({format_name(e.op)} ")
            stack += (f"):{format_type(e.type)}", e.right, " ", e.left)
        elif isinstance(e, ir.UnExpr):
            parts.append(f"({format_name(e.op)} ")
            stack += (f"):{format_type(e.type)}", e.operand)
        else:
            raise TypeError(f"not an IR expression: {e!r}")
    return "".join(parts)


def format_term(term: ir.Term) -> str:
    return "_" if isinstance(term, ir.Wild) else format_expr(term)


def format_name(name: str) -> str:
    """``name`` as is when it is a plain identifier, else in backquotes."""
    if _PLAIN_NAME.match(name) and name not in KEYWORDS:
        return name
    return "`" + _escape(name, "`") + "`"


def format_type(type_: str) -> str:
    if _PLAIN_TYPE.match(type_):
        return type_
    return format_name(type_)


def format_value(value) -> str:
    """A literal: ``true``/``false``, an integer, a float (``repr``, ``nan``, ``inf``), a string."""
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"  # NaN's sign and payload are not kept
        return repr(value)  # repr round-trips exactly; inf and -inf included
    if isinstance(value, str):
        return '"' + _escape(value, '"') + '"'
    raise TypeError(f"an IR literal is an int, float, str or bool, not {value!r}")


_SIMPLE_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(text: str, quote: str) -> str:
    out = []
    for ch in text:
        if ch == quote:
            out.append("\\" + ch)
        elif ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


def format_loc(span: Span) -> str:
    return (f'loc({format_value(span.file)}:{span.line}:{span.col}'
            f':{span.end_line}:{span.end_col})')


def _names(names) -> str:
    return ", ".join(format_name(n) for n in names)


class _Printer:
    def __init__(self, with_locations: bool):
        self.with_locations = with_locations
        self.lines: list[str] = []

    def emit(self, depth: int, text: str, origin: Span | None = None) -> None:
        if self.with_locations and origin is not None:
            text += " " + format_loc(origin)
        self.lines.append(_INDENT * depth + text)

    def module(self, m: ir.Module) -> str:
        for rel in m.relations:
            self.relation(rel)
        for index in m.indexes:
            self.index(index)
        for facts in m.facts:
            self.facts(facts)
        for index, stratum in enumerate(m.strata):
            self.stratum(index, stratum)
        if m.outputs:
            self.emit(0, "outputs " + _names(m.outputs))
        for q in m.queries:
            args = ", ".join(format_term(t) for t in q.args)
            self.emit(0, f"query {format_name(q.rel)} ({args})", q.origin)
        self.provenance(m.provenance)
        return "\n".join(self.lines) + "\n"

    def relation(self, rel: ir.Relation) -> None:
        types = ", ".join(format_type(t) for t in rel.types)
        text = f"relation {format_name(rel.name)}({types}) {format_name(rel.kind)}"
        if rel.source is not None:
            text += " from " + format_value(rel.source)
        self.emit(0, text, rel.origin)

    def index(self, index: ir.Index) -> None:
        opts = [f"dim = {format_value(index.dim)}", f"quant = {format_name(index.quant)}",
                f"metric = {format_name(index.metric)}"]
        if index.rerank is not None:
            opts.append(f"rerank = {format_value(index.rerank)}")
        text = f"index {format_name(index.name)}({', '.join(opts)})"
        if index.source is not None:
            text += " from " + format_value(index.source)
        self.emit(0, text, index.origin)

    def facts(self, facts: ir.Facts) -> None:
        head = f"facts {format_name(facts.rel)}"
        if self.with_locations and facts.origin is not None:
            head += " " + format_loc(facts.origin)
        self.emit(0, head + " {")
        for row in facts.rows:
            text = "(" + ", ".join(format_value(v) for v in row.values) + ")"
            if row.prob is not None:
                text = f"{format_value(row.prob)} :: {text}"
            if row.group is not None:
                text += f" in group {format_value(row.group)}"
            self.emit(1, text, row.origin)
        self.emit(0, "}")

    def stratum(self, index: int, s: ir.Stratum) -> None:
        flag = " recursive" if s.recursive else ""
        self.emit(0, f"stratum {index} [{_names(s.relations)}]{flag} {{")
        for kind, rules in (("init", s.init), ("loop", s.loop)):
            for rule in rules:
                head = f"{kind} rule {format_name(rule.name)}"
                if self.with_locations and rule.origin is not None:
                    head += " " + format_loc(rule.origin)
                self.emit(1, head + " {")
                self.ops(2, rule.ops)
                self.emit(1, "}")
        self.emit(0, "}")

    def provenance(self, provenance) -> None:
        name, params = provenance
        text = "provenance " + format_name(name)
        if params:
            text += "(" + ", ".join(f"{format_name(k)} = {format_value(v)}"
                                    for k, v in params) + ")"
        self.emit(0, text)

    def ops(self, depth: int, ops) -> None:
        for op in ops:
            self.op(depth, op)

    def op(self, depth: int, op: ir.Op) -> None:
        if isinstance(op, ir.Aggregate):
            self.aggregate(depth, op)
            return
        self.emit(depth, _op_line(op), op.origin)

    def aggregate(self, depth: int, agg: ir.Aggregate) -> None:
        typed = len(agg.result_types) == len(agg.results)
        results = ", ".join(
            format_name(r) + (f":{format_type(t)}" if typed else "")
            for r, t in zip(agg.results, agg.result_types if typed else agg.results))
        text = (f"aggregate ({results}) = {format_name(agg.op)}({_names(agg.vars)})"
                f" by ({_names(agg.keys)})")
        if agg.objective is not None:
            text += " objective " + format_expr(agg.objective)
        if agg.result_types and not typed:
            # Only an ill-formed aggregate gets here; print it faithfully anyway.
            text += " types (" + ", ".join(format_type(t) for t in agg.result_types) + ")"
        if self.with_locations and agg.origin is not None:
            text += " " + format_loc(agg.origin)
        if not agg.body:
            self.emit(depth, text)
            return
        for i, alternative in enumerate(agg.body):
            self.emit(depth, (text if i == 0 else "} or") + " {")
            self.ops(depth + 1, alternative)
        self.emit(depth, "}")


def _op_line(op: ir.Op) -> str:
    if isinstance(op, ir.Join):
        args = ", ".join(format_term(t) for t in op.args)
        return f"join {format_name(op.rel)} {format_name(op.version)} ({args})"
    if isinstance(op, ir.AntiJoin):
        return f"antijoin {format_name(op.rel)} ({', '.join(format_term(t) for t in op.args)})"
    if isinstance(op, ir.Filter):
        return "filter " + format_expr(op.cond)
    if isinstance(op, ir.Map):
        return f"map {format_name(op.var)} = {format_expr(op.expr)}"
    if isinstance(op, ir.Neural):
        return f"neural {format_name(op.module)}({_names(op.inputs)}) -> {format_name(op.output)}"
    if isinstance(op, ir.Knn):
        return (f"knn {format_name(op.index)}({format_name(op.vector)}, {format_expr(op.k)})"
                f" -> ({format_name(op.id)}, {format_name(op.score)})")
    if isinstance(op, ir.Weight):
        return "weight " + format_value(op.prob)
    if isinstance(op, ir.Check):
        domain = (f"[{op.lo}, {op.hi}]" if op.lo is not None else
                  "{" + ", ".join(format_value(v) for v in op.values) + "}")
        return f"check {format_expr(op.expr)} in {domain} {format_value(op.type_text)}"
    if isinstance(op, ir.Insert):
        return f"insert {format_name(op.rel)} ({', '.join(format_expr(e) for e in op.exprs)})"
    raise TypeError(f"not an IR op: {op!r}")
