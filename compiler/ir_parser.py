"""Read the IR's text form back: :func:`parse_module` is the inverse of ``print_module``.

``parse_module(print_module(m)) == m`` for every module whose literals are
ints, floats, strs and bools (a NaN comes back as the one object ``math.nan``).
Syntax errors, and the few things the grammar cannot say (a misnumbered
stratum, a bad escape), raise :class:`CompileError` with a positioned message.
"""
from __future__ import annotations

import functools
import math
import re

from nsl.compiler import ir
from nsl.lang.diagnostics import CompileError, Span, error

# How a terminal is named in "expected ..." messages.
_TERMINAL_LABELS = {
    "NAME": "a name", "QUOTED_NAME": "a name", "INT": "an integer", "FLOAT": "a number",
    "STRING": "a string", "TENSOR_TYPE": "a type", "WILD": "'_'", "TRUE": "'true'",
    "FALSE": "'false'", "NAN": "'nan'", "INF": "'inf'", "NEG_INF": "'-inf'",
    "RECURSIVE": "'recursive'", "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'",
    "LBRACE": "'{'", "RBRACE": "'}'", "COMMA": "','", "COLON": "':'", "EQUAL": "'='",
    "$END": "end of input",
}


def parse_module(text: str, file: str = "<ir>") -> ir.Module:
    """Parse IR text into a :class:`~nsl.compiler.ir.Module`; raise CompileError on errors."""
    from lark.exceptions import UnexpectedInput, VisitError

    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        raise CompileError([_syntax_error(exc, text, file)]) from None
    try:
        return _ModuleBuilder(file).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, _BuildError):
            raise CompileError([exc.orig_exc.diagnostic]) from None
        raise


@functools.lru_cache(maxsize=1)
def _lark():
    from lark import Lark

    from nsl.compiler.ir_grammar import IR_GRAMMAR
    return Lark(IR_GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=True)


class _BuildError(Exception):
    def __init__(self, diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "`": "`"}


def _unescape(body: str) -> str | None:
    """The text of a quoted token's body; None if it holds an unknown escape."""
    bad = False

    def one(match):
        nonlocal bad
        code = match.group(1)
        if code[0] in "xuU" and len(code) > 1:
            value = int(code[1:], 16)
            if value > 0x10FFFF:
                bad = True
                return ""
            return chr(value)
        if code in _SIMPLE:
            return _SIMPLE[code]
        bad = True
        return ""

    text = _ESCAPE.sub(one, body)
    return None if bad else text


def _make_builder():
    from lark import v_args

    from nsl.lang.lark_transform import IterativeTransformer

    @v_args(inline=True, meta=True)
    class Builder(IterativeTransformer):
        """Lark tree → IR dataclasses; positions come from ``meta`` only for errors."""

        def __init__(self, file: str):
            super().__init__()
            self.file = file

        def _fail(self, meta_or_token, message: str):
            line = getattr(meta_or_token, "line", 0) or 0
            col = getattr(meta_or_token, "column", 0) or 0
            end_line = getattr(meta_or_token, "end_line", line) or line
            end_col = max((getattr(meta_or_token, "end_column", col + 1) or col + 1) - 1, col)
            raise _BuildError(error(message, Span(self.file, line, col, end_line, end_col)))

        def _unquote(self, token) -> str:
            text = _unescape(token[1:-1])
            if text is None:
                self._fail(token, f"bad escape sequence in {token}")
            return text

        # ---- tokens and small pieces ----
        def name(self, meta, token):
            return self._unquote(token) if token.type == "QUOTED_NAME" else str(token)

        type = name

        def int_value(self, meta, token):
            return int(token)

        def float_value(self, meta, token):
            return float(token)

        def nan_value(self, meta, token):
            return math.nan  # one shared object, so modules holding math.nan compare equal

        def inf_value(self, meta, token):
            return math.inf

        def neg_inf_value(self, meta, token):
            return -math.inf

        def str_value(self, meta, token):
            return self._unquote(token)

        def true_value(self, meta, token):
            return True

        def false_value(self, meta, token):
            return False

        def loc(self, meta, file, line, col, end_line, end_col):
            return Span(self._unquote(file), int(line), int(col), int(end_line), int(end_col))

        # ---- expressions ----
        def colref(self, meta, name, type_):
            return ir.ColRef(name, type_)

        def lit(self, meta, value, type_):
            return ir.Lit(value, type_)

        def unexpr(self, meta, op, operand, type_):
            return ir.UnExpr(op, operand, type_)

        def binexpr(self, meta, op, left, right, type_):
            return ir.BinExpr(op, left, right, type_)

        def wild(self, meta, token):
            return ir.Wild()

        # ---- lists ----
        def terms(self, meta, *items):
            return tuple(items)

        exprs = names = types = values = params = agg_results = block = alternatives = terms

        # ---- ops ----
        def join(self, meta, rel, version, args, origin):
            return ir.Join(rel, version, args, origin)

        def antijoin(self, meta, rel, args, origin):
            return ir.AntiJoin(rel, args, origin)

        def filter(self, meta, cond, origin):
            return ir.Filter(cond, origin)

        def map(self, meta, var, expr, origin):
            return ir.Map(var, expr, origin)

        def weight(self, meta, prob, origin):
            return ir.Weight(prob, origin)

        def neural(self, meta, module, inputs, output, origin):
            return ir.Neural(module, inputs, output, origin)

        def knn(self, meta, index, vector, k, id_, score, origin):
            return ir.Knn(index, vector, k, id_, score, origin)

        def range_domain(self, meta, lo, hi):
            return {"lo": int(lo), "hi": int(hi)}

        def enum_domain(self, meta, values):
            return {"values": tuple(values)}

        def check(self, meta, expr, domain, text, origin):
            return ir.Check(expr, self._unquote(text), origin=origin, **domain)

        def insert(self, meta, rel, exprs, origin):
            return ir.Insert(rel, exprs, origin)

        def agg_result(self, meta, name, type_):
            return (name, type_)

        def aggregate(self, meta, results, op, vars_, keys, objective, types, origin, body):
            annotated = tuple(t for _, t in results if t is not None)
            if annotated and (len(annotated) != len(results) or types is not None):
                self._fail(meta, "annotate every aggregate result with a type, or none of them")
            return ir.Aggregate(op, tuple(r for r, _ in results), vars_, keys, body or (),
                                objective, annotated or types or (), origin)

        # ---- program structure ----
        def rule_kind(self, meta, token):
            return str(token)

        def rule(self, meta, kind, name, origin, *ops):
            return kind, ir.Rule(name, tuple(ops), origin)

        def stratum(self, meta, index, relations, recursive, *rules):
            init = tuple(r for kind, r in rules if kind == "init")
            loop = tuple(r for kind, r in rules if kind == "loop")
            return _Numbered(int(index), meta, ir.Stratum(relations, recursive is not None, init, loop))

        def relation(self, meta, name, types, kind, source, origin):
            source = None if source is None else self._unquote(source)
            return ir.Relation(name, types, kind, source, origin)

        def index_opt(self, meta, key, value):
            return (key, int(value) if getattr(value, "type", None) == "INT" else value, meta)

        def index_opts(self, meta, *opts):
            return opts

        def index(self, meta, name, opts, source, origin):
            given: dict = {}
            for key, value, where in opts:
                if key in given:
                    self._fail(where, f"index option '{key}' is given twice")
                want = _INDEX_OPTIONS.get(key)
                if want is None:
                    self._fail(where, f"unknown index option '{key}' (known: {', '.join(_INDEX_OPTIONS)})")
                if not isinstance(value, want):
                    self._fail(where, f"index option '{key}' must be "
                                      f"{'an integer' if want is int else 'a name'}")
                given[key] = value
            for key in ("dim", "quant", "metric"):
                if key not in given:
                    self._fail(meta, f"index {name} needs option '{key}'")
            source = None if source is None else self._unquote(source)
            return ir.Index(name, given["dim"], given["quant"], given["metric"],
                            given.get("rerank"), source, origin)

        def fact_row(self, meta, prob, values, group, origin):
            return ir.FactRow(values, prob, group, origin)

        def facts(self, meta, rel, origin, *rows):
            return ir.Facts(rel, tuple(rows), origin)

        def outputs(self, meta, *names):
            return _Outputs(names)

        def query(self, meta, rel, args, origin):
            return ir.QuerySpec(rel, args, origin)

        def param(self, meta, key, value):
            return (key, value)

        def provenance(self, meta, name, params):
            return _Provenance((name, params or ()))

        def start(self, meta, *items):
            return self._assemble(items)

        def _assemble(self, items) -> ir.Module:
            """Top-level statements may come in any order; each kind keeps its own."""
            relations, facts, strata, outputs, queries, indexes = [], [], [], [], [], []
            provenance = ("bool", ())
            for item in items:
                if isinstance(item, ir.Relation):
                    relations.append(item)
                elif isinstance(item, ir.Index):
                    indexes.append(item)
                elif isinstance(item, ir.Facts):
                    facts.append(item)
                elif isinstance(item, _Numbered):
                    if item.index != len(strata):
                        self._fail(item.meta, f"stratum {item.index} is out of order; "
                                             f"expected stratum {len(strata)}")
                    strata.append(item.stratum)
                elif isinstance(item, _Outputs):
                    outputs.extend(item.names)
                elif isinstance(item, ir.QuerySpec):
                    queries.append(item)
                else:
                    provenance = item.value
            return ir.Module(tuple(relations), tuple(facts), tuple(strata), tuple(outputs),
                             tuple(queries), provenance, tuple(indexes))

    return Builder


_INDEX_OPTIONS = {"dim": int, "quant": str, "metric": str, "rerank": int}


class _Numbered:
    def __init__(self, index, meta, stratum):
        self.index, self.meta, self.stratum = index, meta, stratum


class _Outputs:
    def __init__(self, names):
        self.names = names


class _Provenance:
    def __init__(self, value):
        self.value = value


@functools.lru_cache(maxsize=1)
def _builder_class():
    return _make_builder()


def _ModuleBuilder(file: str):
    return _builder_class()(file)


def _syntax_error(exc, text: str, file: str):
    """One short diagnostic for a lark exception, at the offending token."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    line, col = max(getattr(exc, "line", 1) or 1, 1), max(getattr(exc, "column", 1) or 1, 1)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken)
                                          and exc.token.type == "$END"):
        lines = text.splitlines() or [""]
        line, col = len(lines), max(len(lines[-1]), 1)
        expected = getattr(exc, "expected", None) or ()
        return error("the IR text ended unexpectedly" + _expected(expected),
                     Span(file, line, col, line, col))
    if isinstance(exc, UnexpectedCharacters):
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        what = "unterminated string or name" if ch in "\"`" else f"unexpected character {ch!r}"
        return error(what + _expected(exc.allowed or ()), Span(file, line, col, line, col))
    token = exc.token
    end_col = col + max(len(str(token)), 1) - 1
    return error(f"unexpected {str(token)!r}" + _expected(exc.accepts or exc.expected),
                 Span(file, line, col, line, end_col))


def _expected(terminals) -> str:
    labels = []
    for name in sorted(terminals):
        label = _TERMINAL_LABELS.get(name) or _keyword_label(name)
        if label and label not in labels:
            labels.append(label)
    if not labels:
        return ""
    if len(labels) > 8:
        labels = labels[:8] + ["..."]
    return "; expected " + (labels[0] if len(labels) == 1 else "one of " + ", ".join(labels))


@functools.lru_cache(maxsize=None)
def _keyword_label(name: str) -> str | None:
    for terminal in _lark().terminals:
        if terminal.name == name:
            return repr(terminal.pattern.value) if terminal.pattern.type == "str" else None
    return None
