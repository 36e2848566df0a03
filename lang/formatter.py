"""The canonical pretty-printer behind ``nslc fmt``: AST → NSL source text.

The contract is meaning preservation: ``parse(format_program(p)) == p`` for any
program the parser can produce (spans aside), and formatting is idempotent.
Layout: one statement per line; a blank line between groups of statements of
different kinds (facts, rules, declarations, ...); a rule whose one-line form passes
``WIDTH`` columns puts each body literal on its own line, indented 4.
Parentheses are the fewest the grammar's precedence needs.

``format_program`` sees only the AST, so it drops comments; ``format_source``
(in :mod:`nsl.lang.formatter_comments`) re-attaches them from the text.
"""
from __future__ import annotations

import math

from nsl.lang import ast as A
from nsl.lang.walk import run_recursive

WIDTH = 88
INDENT = "    "

# Expression precedence, loosest first (grammar: comparison < ++ < + - < * / %
# < unary minus < ** < postfix < primary; as in Python, -x ** 2 is -(x ** 2)).
CMP, CONCAT, SUM, PROD, UNARY, POW, POSTFIX, PRIMARY = range(8)
_BINOP_PREC = {"++": CONCAT, "+": SUM, "-": SUM, "*": PROD, "/": PROD, "%": PROD, "**": POW}

# Formula precedence. `->` and `<->` take a whole formula on their right, so
# they bind loosest after the quantifiers, which reach to the end.
F_QUANT, F_ARROW, F_OR, F_AND, F_ATOM = range(5)


class Unprintable(ValueError):
    """The AST holds a node that no NSL text parses to (e.g. ``Neg(Const(1))``)."""


def format_program(program: A.Program) -> str:
    """The canonical text of ``program``, ending in one newline ('' if empty)."""
    lines: list[str] = []
    previous = None
    for stmt in program.statements:
        kind = group_of(stmt)
        if previous is not None and kind != previous:
            lines.append("")
        lines.append(format_statement(stmt))
        previous = kind
    return "\n".join(lines) + "\n" if lines else ""


def group_of(stmt) -> object:
    """Statements of one group sit together; a blank line separates groups."""
    if isinstance(stmt, A.Rule) and stmt.body is None or isinstance(stmt, A.AnnotatedDisjunction):
        return "fact"
    if isinstance(stmt, (A.TypeDecl, A.RelDecl)):
        return "decl"
    if isinstance(stmt, A.EntailsStmt):
        return A.ProveStmt
    return type(stmt)


# ---- statements ----------------------------------------------------------------
def format_statement(stmt) -> str:
    """One statement's text, possibly several lines, without a final newline."""
    method = _STATEMENTS.get(type(stmt))
    if method is None:
        raise Unprintable(f"not a statement: {stmt!r}")
    return method(stmt)


def _rule(r: A.Rule) -> str:
    prefix = "" if r.prob is None else f"{_number(r.prob)} :: "
    head = prefix + _atom(r.head)
    if r.body is None:
        return head + "."
    one_line = f"{head} :- {_body(r.body)}."
    if len(one_line) <= WIDTH:
        return one_line
    # Long body: one literal per line; `;` opens each further alternative.
    lines = [head + " :-"]
    for i, conj in enumerate(r.body.alternatives):
        for j, lit in enumerate(conj):
            lead = INDENT if i == 0 or j > 0 else "  ; "
            end = "," if j < len(conj) - 1 else ""
            lines.append(lead + _literal(lit) + end)
    return "\n".join(lines) + "."


def _disjunction(ad: A.AnnotatedDisjunction) -> str:
    return "; ".join(f"{_number(p)} :: {_atom(a)}" for p, a in ad.choices) + "."


def _directive(d: A.Directive) -> str:
    args = (a if isinstance(a, str) else f"{a.name} = {expr(a.value)}" for a in d.args)
    return f"@{d.name}({', '.join(args)})"


def _type_decl(t: A.TypeDecl) -> str:
    d = t.definition
    if isinstance(d, A.RangeType):
        text = f"{d.lo}..{d.hi}"
    elif isinstance(d, A.EnumType):
        text = "{" + ", ".join(_constant(v) for v in d.values) + "}"
    else:
        text = _type(d)
    return f"type {t.name} = {text}"


def _rel_decl(r: A.RelDecl) -> str:
    text = ("input " if r.is_input else "rel ") + r.name
    if r.params is not None:  # `rel done()` and `rel done` are different trees
        text += _params(r.params)
    if r.source is not None:
        text += " from " + quote(r.source)
    return text


def _neural(n: A.NeuralDecl) -> str:
    b = n.builder
    if b.kind == "python":
        builder = "python " + quote(b.name)
    else:
        builder = b.name + (_args(b.args) if b.args else "")
    return f"neural {n.name}{_params(n.params)} -> {_type(n.output)} = {builder}"


def _train(t: A.TrainStmt) -> str:
    text = f"train {', '.join(t.modules)} on {t.goal}"
    if t.data is not None:
        text += " from " + quote(t.data)
    if not t.settings:
        return text
    return _block(text, [f"{s.name} = {expr(s.value)}" for s in t.settings], "")


def _constraint(c: A.ConstraintStmt) -> str:
    weight = "" if c.weight is None else f"[{_number(c.weight)}]"
    soft = "soft " if c.soft else ""
    return f"{soft}constraint{weight} {c.name}: {formula(c.formula)}."


def _prove(p: A.ProveStmt) -> str:
    text = "prove "
    if p.prover is not None:
        text += "using " + p.prover.name + (_args(p.prover.args) if p.prover.args else "") + " "
    if p.formula is None:
        if p.name != "consistent":
            raise Unprintable(f"prove {p.name!r} has no formula")
        return text + "consistent."
    return f"{text}{p.name}: {formula(p.formula)}."


def _entails(e: A.EntailsStmt) -> str:
    options = f" {_options(e.options)}" if e.options else ""
    return f"entails {e.name}{options}: {formula(e.formula)}."


def _solve(s: A.SolveStmt) -> str:
    # The tree keeps constraints and objectives apart, so their order in the
    # source is not kept either: constraints print first.
    items = [formula(c) for c in s.constraints] + [f"{o.kind} {expr(o.expr)}" for o in s.objectives]
    return _block(f"solve {s.name}{_params(s.params)}", items, "")


def _index(i: A.IndexDecl) -> str:
    text = "index " + i.name + (_args(i.args) if i.args else "")
    return text + (" from " + quote(i.source) if i.source is not None else "")


def _check_ir(c: A.CheckIrStmt) -> str:
    return f"check_ir {c.name} {_options(c.options)}"


_STATEMENTS = {
    A.Rule: _rule, A.AnnotatedDisjunction: _disjunction, A.Directive: _directive,
    A.TypeDecl: _type_decl, A.RelDecl: _rel_decl, A.NeuralDecl: _neural, A.TrainStmt: _train,
    A.ConstraintStmt: _constraint, A.ProveStmt: _prove, A.EntailsStmt: _entails,
    A.SolveStmt: _solve, A.IndexDecl: _index, A.CheckIrStmt: _check_ir,
    A.Import: lambda i: "import " + ".".join(i.path),
    A.Query: lambda q: f"query {_atom(q.atom)}.",
}


def _block(head: str, items: list[str], end: str) -> str:
    """``head { a, b }`` on one line if it fits, else one item per line."""
    if not items:
        return f"{head} {{}}{end}"
    one_line = f"{head} {{ {', '.join(items)} }}{end}"
    if len(one_line) <= WIDTH and "\n" not in one_line:
        return one_line
    return f"{head} {{\n" + ",\n".join(INDENT + i for i in items) + f"\n}}{end}"


def _options(options) -> str:
    return "{" + (" " + ", ".join(f"{o.name}: {expr(o.value)}" for o in options) + " " if options else "") + "}"


def _params(params) -> str:
    return "(" + ", ".join(f"{p.name}: {_type(p.type)}" for p in params) + ")"


def _type(t: A.TypeExpr) -> str:
    return t.name if t.dims is None else f"{t.name}[{', '.join(map(str, t.dims))}]"


# ---- bodies and formulas -------------------------------------------------------------
def _body(body: A.Body) -> str:
    return " ; ".join(", ".join(_literal(lit) for lit in conj) for conj in body.alternatives)


def _literal(lit) -> str:
    if isinstance(lit, A.Atom):
        return _atom(lit)
    if isinstance(lit, A.Negation):
        return "not " + _literal(lit.atom)
    if isinstance(lit, A.Connective):
        chain = _chain(lit)
        if chain is None:
            raise Unprintable(f"a rule body cannot hold the connective {lit.op!r}")
        return chain
    return expr(lit)


def _atom(a: A.Atom) -> str:
    return a.rel + _args(a.args) if a.args else a.rel


def _chain(c: A.Connective) -> str | None:
    """``a < b < c``: the builder's ``and`` of two comparisons sharing ``b``."""
    left, right = c.left, c.right
    if (c.op == "and" and isinstance(left, A.Comparison) and isinstance(right, A.Comparison)
            and left.right == right.left):
        return (f"{expr(left.left, CONCAT)} {left.op} {expr(left.right, CONCAT)} "
                f"{right.op} {expr(right.right, CONCAT)}")
    return None


def formula(f, need: int = F_QUANT) -> str:
    """A first-order formula, parenthesized if its precedence is below ``need``."""
    return run_recursive(_formula(f, need))


def _formula(f, need: int):
    # a generator run by run_recursive, as _expr_in is
    if isinstance(f, A.Quantified):
        binders = ", ".join(_binder(b) for b in f.binders)
        body = yield _formula(f.body, F_QUANT)
        text, prec = f"{f.quant} {binders}: {body}", F_QUANT
    elif isinstance(f, A.Connective) and _chain(f) is not None:
        text, prec = _chain(f), F_ATOM
    elif isinstance(f, A.Connective):
        # Sides: arrows take a disjunction left, a formula right; and/or are left-assoc.
        left, right, prec = {"<->": (F_OR, F_QUANT, F_ARROW), "->": (F_OR, F_QUANT, F_ARROW),
                             "or": (F_OR, F_AND, F_OR), "and": (F_AND, F_ATOM, F_AND)}[f.op]
        left = yield _formula(f.left, left)
        right = yield _formula(f.right, right)
        text = f"{left} {f.op} {right}"
    elif isinstance(f, A.Not):
        operand = yield _formula(f.operand, F_ATOM)
        text, prec = "not " + operand, F_ATOM
    else:
        text, prec = _literal(f), F_ATOM
    return f"({text})" if prec < need else text


def _binder(b: A.Binder) -> str:
    if b.domain is not None:
        return f"{b.name} in {b.domain}"
    return b.name if b.type is None else f"{b.name}: {_type(b.type)}"


# ---- expressions -----------------------------------------------------------------
def expr(e, need: int = CMP) -> str:
    """An expression, parenthesized if its precedence is below ``need``."""
    return run_recursive(_expr_in(e, need))


# _expr_in and _expr are generators run by run_recursive: `yield` stands for a recursive
# call, so that an expression as deep as it is long (`y + 1 + 1 + ...`) needs no deep stack.
def _expr_in(e, need: int):
    text, prec = yield _expr(e)
    return f"({text})" if prec < need else text


def _expr(e):
    if isinstance(e, A.Var):
        return e.name, PRIMARY
    if isinstance(e, A.Wildcard):
        return "_", PRIMARY
    if isinstance(e, A.Const):
        text = _constant(e.value)
        return text, UNARY if text.startswith("-") else PRIMARY
    if isinstance(e, A.Duration):
        return e.text, PRIMARY
    if isinstance(e, A.BinOp):
        prec = _BINOP_PREC[e.op]
        if e.op == "**":  # right-assoc: a postfix on the left, a unary (or power) on the right
            left = yield _expr_in(e.left, POSTFIX)
            right = yield _expr_in(e.right, UNARY)
        else:
            left = yield _expr_in(e.left, prec)
            right = yield _expr_in(e.right, prec + 1)
        return f"{left} {e.op} {right}", prec
    if isinstance(e, A.Neg):
        if isinstance(e.operand, A.Const) and _is_number(e.operand.value):
            raise Unprintable("the parser folds `-` into a numeric constant")
        operand = yield _expr_in(e.operand, UNARY)
        # `-(-x)` rather than `--x`, which reads as a decrement.
        return "-" + (f"({operand})" if operand.startswith("-") else operand), UNARY
    if isinstance(e, A.Subscript):
        base = yield _expr_in(e.base, POSTFIX)
        index = yield _expr_in(e.index, CMP)
        return f"{base}[{index}]", POSTFIX
    if isinstance(e, A.Call):
        args = []
        for a in e.args:
            args.append((yield _expr_in(a, CMP)))
        return f"{e.func}({', '.join(args)})", PRIMARY
    if isinstance(e, A.KwArg):
        value = yield _expr_in(e.value, CMP)
        return f"{e.name} = {value}", PRIMARY
    if isinstance(e, A.ListExpr):
        items = []
        for i in e.items:
            items.append((yield _expr_in(i, CMP)))
        return "[" + ", ".join(items) + "]", PRIMARY
    if isinstance(e, A.Aggregate):
        return _aggregate(e), PRIMARY
    if isinstance(e, A.Comparison):
        left = yield _expr_in(e.left, CONCAT)
        right = yield _expr_in(e.right, CONCAT)
        return f"{left} {e.op} {right}", CMP
    if isinstance(e, A.Connective) and _chain(e) is not None:
        return _chain(e), CMP
    raise Unprintable(f"not an expression: {e!r}")


def _args(args) -> str:
    return "(" + ", ".join(expr(a) for a in args) + ")"


def _aggregate(g: A.Aggregate) -> str:
    inner = ", ".join(v.name for v in g.vars) + ": " + _body(g.body)
    if g.objective is not None:
        inner += ", " + expr(g.objective)
    if g.consequent is not None:
        inner += " -> " + _body(g.consequent)
    return f"{g.op}({inner})"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unprintable(f"NSL has no literal for {value!r}")
        return repr(value)  # repr is the shortest text that reads back the same float
    return str(value)


def _constant(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    return _number(value)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def quote(s: str) -> str:
    """A STRING token that the parser's unquoting (``ast_roles._unquote``) reads back as ``s``."""
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        else:  # control and separator characters: never a raw line break in a token
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def format_source(text: str, file: str = "<input>") -> str:
    """Format NSL source text in the canonical layout, keeping its comments (``nslc fmt``)."""
    from nsl.lang.formatter_comments import format_source as with_comments
    return with_comments(text, file)
