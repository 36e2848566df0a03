"""Lark parse tree → AST, attaching a span to every node once (Preql's way).

One method per grammar rule; which role a name or call plays (value, literal,
setting) is decided by :class:`nsl.lang.ast_roles.RoleReader`.
"""
from __future__ import annotations

from lark import Token, v_args

from nsl.lang import ast as A
from nsl.lang.ast_roles import BuildError, RoleReader, _Call, _Name, _unquote
from nsl.lang.constant_arith import in_int64, wrap64
from nsl.lang.diagnostics import Span, error
from nsl.lang.lark_transform import IterativeTransformer


@v_args(meta=True, inline=True)
class AstBuilder(RoleReader, IterativeTransformer):
    def __init__(self, file: str):
        super().__init__()
        self.file = file

    # -- spans --------------------------------------------------------------
    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span.unknown(self.file)
        return Span(self.file, meta.line, meta.column, meta.end_line, max(meta.end_column - 1, meta.column))

    def _tok_span(self, tok: Token) -> Span:
        return Span(self.file, tok.line, tok.column, tok.end_line, max(tok.end_column - 1, tok.column))

    # -- classification -----------------------------------------------------
    # -- top level ----------------------------------------------------------
    def start(self, meta, *items):
        return [i for i in items if i is not None]

    def directive(self, meta, name, *args):
        return A.Directive(str(name), tuple(a for a in args if a is not None), self._span(meta))

    def dir_flag(self, meta, name):
        return str(name)

    def dir_kwarg(self, meta, name, value):
        return A.KwArg(str(name), value, self._span(meta))

    # -- declarations -------------------------------------------------------
    def type_decl(self, meta, name, definition):
        return A.TypeDecl(str(name), definition, self._span(meta))

    def range_type(self, meta, lo, hi):
        return A.RangeType(lo, hi)

    def enum_type(self, meta, *values):
        for v in values:
            if not isinstance(v, A.Const):
                raise BuildError(error("an enumerated type lists constants (numbers, strings, booleans)",
                                       getattr(v, "span", self._span(meta))))
        return A.EnumType(tuple(v.value for v in values))

    def alias_type(self, meta, texpr):
        return texpr

    def signed_int(self, meta, minus, value=None):
        if value is None:  # maybe_placeholders gives None for the absent "-"
            minus, value = None, minus
        value = _int(value, self._span(meta))
        return -value if minus is not None else value

    def type_expr(self, meta, name, *dims):
        dims = tuple(d for d in dims if d is not None)
        return A.TypeExpr(str(name), dims or None, self._span(meta))

    prim_type = type_expr

    def rel_decl(self, meta, name, params):
        self._no_empty_params(meta, "rel", name, params)
        return A.RelDecl(str(name), params, False, None, self._span(meta))

    def input_decl(self, meta, name, params, source):
        self._no_empty_params(meta, "input", name, params)
        return A.RelDecl(str(name), params, True, _unquote(source) if source else None, self._span(meta))

    def _no_empty_params(self, meta, keyword, name, params):
        if params == ():
            raise BuildError(error(f"a nullary relation takes no parentheses: write `{keyword} {name}`",
                                   self._span(meta)))

    def params(self, meta, *ps):
        return tuple(p for p in ps if p is not None)

    def param(self, meta, name, texpr):
        return A.Param(str(name), texpr, self._span(meta))

    # -- clauses ------------------------------------------------------------
    def clause(self, meta, prob, head, body):
        span = self._span(meta)
        head_atom = self.literal(head)
        if not isinstance(head_atom, A.Atom):
            raise BuildError(error("a rule head must be a relation atom", getattr(head_atom, "span", span)))
        return A.Rule(head_atom, self.finish_body(body), None if prob is None else prob.value, span)

    def disjunctive_fact(self, meta, *parts):
        choices = []
        for prob, head in zip(parts[0::2], parts[1::2]):
            atom = self.literal(head)
            if not isinstance(atom, A.Atom):
                raise BuildError(error("expected a fact", getattr(atom, "span", None)))
            choices.append((prob.value, atom))
        return A.AnnotatedDisjunction(tuple(choices), self._span(meta))

    def body(self, meta, *conjunctions):
        return A.Body(tuple(conjunctions), self._span(meta))

    def conjunction(self, meta, *literals):
        return tuple(self._literal_or_deferred(l) for l in literals)

    def negation(self, meta, operand):
        lit = self.literal(operand)
        if not isinstance(lit, (A.Atom, A.Aggregate)):
            raise BuildError(error("`not` applies to a relation atom; negate a comparison by flipping it",
                                   self._span(meta)))
        return A.Negation(lit, self._span(meta))

    # -- expressions --------------------------------------------------------
    def compare(self, meta, left, op, right):
        return A.Comparison(str(op), self.value(left), self.value(right), self._span(meta))

    def compare_chain(self, meta, a, op1, b, op2, c):
        span = self._span(meta)
        first = A.Comparison(str(op1), self.value(a), self.value(b), span)
        second = A.Comparison(str(op2), self.value(b), self.value(c), span)
        return A.Connective("and", first, second, span)

    def concat_op(self, meta, left, right):
        return A.BinOp("++", self.value(left), self.value(right), self._span(meta))

    def binop(self, meta, left, op, right):
        return A.BinOp(str(op), self.value(left), self.value(right), self._span(meta))

    def neg(self, meta, operand):
        v, span = self.value(operand), self._span(meta)
        if isinstance(v, A.Const) and isinstance(v.value, float):
            return A.Const(-v.value, span)
        if isinstance(v, A.Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
            if in_int64(v.value):  # a negation of an int constant wraps as the run's does:
                return A.Const(wrap64(-v.value), span)  # -(-9223372036854775808) is itself
            if (v.span.end_line, v.span.end_col) == (span.end_line, span.end_col):
                # the minus written on the digits: `-9223372036854775808` is one literal (the
                # facts check rejects it unless it fits); `-(9223372036854775808)` stays a
                # negation of a literal that does not fit
                return A.Const(-v.value, span)
        return A.Neg(v, span)

    def index_op(self, meta, base, index):
        return A.Subscript(self.value(base), self.value(index), self._span(meta))

    def list_expr(self, meta, *items):
        return A.ListExpr(tuple(self.value(i) for i in items if i is not None), self._span(meta))

    def name(self, meta, tok):
        return _Name(str(tok), self._tok_span(tok))

    def call(self, meta, name, args, agg):
        return _Call(str(name), tuple(args or ()), agg, self._span(meta))

    def call_args(self, meta, *args):
        return tuple(args)

    def kwarg(self, meta, name, value):
        return A.KwArg(str(name), self.config(value), self._span(meta))

    def agg_body(self, meta, body, consequent):
        return (body, consequent)

    # -- literal values -----------------------------------------------------
    def int(self, meta, tok):
        return A.Const(_int(tok, self._tok_span(tok)), self._tok_span(tok))

    def float(self, meta, tok):
        return A.Const(float(tok), self._tok_span(tok))

    def neg_int(self, meta, tok):
        return A.Const(-_int(tok, self._span(meta)), self._span(meta))

    def neg_float(self, meta, tok):
        return A.Const(-float(tok), self._span(meta))

    def string(self, meta, tok):
        return A.Const(_unquote(tok), self._tok_span(tok))

    def true(self, meta, tok):
        return A.Const(True, self._tok_span(tok))

    def false(self, meta, tok):
        return A.Const(False, self._tok_span(tok))

    def duration(self, meta, tok):
        text = str(tok)
        seconds = float(text[:-2]) / 1000 if text.endswith("ms") else float(text[:-1])
        return A.Duration(seconds, text, self._tok_span(tok))

    # -- formulas -----------------------------------------------------------
    def quantified(self, meta, quant, binders, body):
        return A.Quantified(str(quant), binders, self.literal(body), self._span(meta))

    def binders(self, meta, *bs):
        return tuple(bs)

    def binder(self, meta, name, colon, texpr):
        return A.Binder(str(name), texpr, None, self._span(meta))

    def binder_in(self, meta, name, domain):
        return A.Binder(str(name), None, str(domain), self._span(meta))

    def _connective(self, op, meta, left, right):
        return A.Connective(op, self.literal(left), self.literal(right), self._span(meta))

    def implies(self, meta, left, right):
        return self._connective("->", meta, left, right)

    def iff(self, meta, left, right):
        return self._connective("<->", meta, left, right)

    def f_or(self, meta, left, right):
        return self._connective("or", meta, left, right)

    def f_and(self, meta, left, right):
        return self._connective("and", meta, left, right)

    def f_not(self, meta, operand):
        return A.Not(self.literal(operand), self._span(meta))

    # -- statements ---------------------------------------------------------
    def constraint_stmt(self, meta, soft, weight, name, formula):
        return A.ConstraintStmt(str(name), self.literal(formula), soft is not None,
                                None if weight is None else float(weight.value), self._span(meta))

    def prove_stmt(self, meta, prover, name, formula):
        return A.ProveStmt(str(name), self.literal(formula), prover, self._span(meta))

    def prove_consistent(self, meta, prover, tok):
        return A.ProveStmt("consistent", None, prover, self._span(meta))

    def prover(self, meta, name, args):
        return A.ProverSpec(str(name), tuple(self.config(a) for a in (args or ())), self._span(meta))

    def entails_stmt(self, meta, name, options, formula):
        return A.EntailsStmt(str(name), self.literal(formula), options or (), self._span(meta))

    def solve_stmt(self, meta, name, params, *items):
        items = [i for i in items if i is not None]
        objectives = tuple(i for i in items if isinstance(i, A.Objective))
        constraints = tuple(self.literal(i) for i in items if not isinstance(i, A.Objective))
        return A.SolveStmt(str(name), params, constraints, objectives, self._span(meta))

    def objective(self, meta, kind, expr):
        return A.Objective(str(kind), self.value(expr), self._span(meta))

    def neural_decl(self, meta, name, params, output, builder):
        return A.NeuralDecl(str(name), params, output, builder, self._span(meta))

    def builder_call(self, meta, call):
        args = tuple(self.config(a) for a in call.args)
        return A.Builder("stdlib", call.name, args, call.span)

    def builder_name(self, meta, name):
        return A.Builder("stdlib", str(name), (), self._span(meta))

    def builder_python(self, meta, target):
        return A.Builder("python", _unquote(target), (), self._span(meta))

    def train_stmt(self, meta, *parts):
        parts = list(parts)
        names = []
        while parts and isinstance(parts[0], Token) and parts[0].type == "NAME":
            names.append(str(parts.pop(0)))
        *modules, goal = names
        data = parts.pop(0) if parts else None
        settings = tuple(p for p in parts if p is not None)
        return A.TrainStmt(tuple(modules), goal, _unquote(data) if data else None, settings, self._span(meta))

    def setting(self, meta, name, value):
        return A.KwArg(str(name), self.config(value), self._span(meta))

    def index_decl(self, meta, name, args, source):
        return A.IndexDecl(str(name), tuple(self.config(a) for a in (args or ())),
                           _unquote(source) if source else None, self._span(meta))

    def check_ir_stmt(self, meta, name, options):
        return A.CheckIrStmt(str(name), options, self._span(meta))

    def options(self, meta, *opts):
        return tuple(o for o in opts if o is not None)

    def option(self, meta, name, value):
        return A.Option(str(name), self.config(value), self._span(meta))

    def import_stmt(self, meta, path):
        return A.Import(tuple(str(path).split(".")), self._span(meta))

    def query_stmt(self, meta, target):
        atom = self.literal(target)
        if not isinstance(atom, A.Atom):
            raise BuildError(error("a query names a relation atom, e.g. `query path(1, x).`", self._span(meta)))
        return A.Query(atom, self._span(meta))


# Far past 64 bits and past any float too, yet short of Python's limit on converting digits
# (``sys.int_max_str_digits``, 4300), which would raise ValueError.
_MAX_INT_DIGITS = 1000


def _int(tok, span: Span) -> int:
    """The value of an INT token; one too long to convert is the usual 64-bit range error."""
    digits = str(tok).lstrip("0") or "0"
    if len(digits) > _MAX_INT_DIGITS:
        raise BuildError(error(f"int literal of {len(digits)} digits does not fit in 64 bits", span))
    return int(digits)
