"""How a parsed name or call is read, by where it stands.

The grammar parses atoms, built-in calls and aggregates with one ``call``
production and bare names with one ``name`` production; a value position
(inside an expression), a literal position (a rule body, a formula) and a
settings position (``provenance = diff_topk_proofs(k = 3)``) read them
differently. :class:`RoleReader` holds those readings; the tree transformer
in ``ast_builder`` mixes it in.
"""
from __future__ import annotations

import re

from nsl.lang import ast as A
from nsl.lang.diagnostics import error
from nsl.lang.walk import run_recursive

AGGREGATES = {"count", "sum", "min", "max", "argmin", "argmax", "exists", "forall"}
FUNCTIONS = {"abs", "min", "max", "distinct"}


class BuildError(Exception):
    def __init__(self, diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class _Call:
    """An unclassified ``name(args [: body])`` awaiting its role."""

    def __init__(self, name, args, agg, span):
        self.name, self.args, self.agg, self.span = name, args, agg, span


class _Deferred:
    """A value expression in a literal position: legal only as an argmin/argmax objective."""

    def __init__(self, expr, span):
        self.expr, self.span = expr, span


class _Name:
    """A bare identifier: a variable in a value position, a nullary atom in a literal one."""

    def __init__(self, name, span):
        self.name, self.span = name, span


# docs/language.md, Lexical: words that cannot name a relation.
RESERVED = frozenset("""type rel input neural train on from constraint soft prove using consistent
entails solve index check_ir import query not and or forall exists exactly_one in true false
minimize maximize python int float real bool str tensor""".split())


class BadString(Exception):
    """A string literal that does not decode: ``message`` and the 1-based ``line`` and
    columns ``col``..``end_col`` of the offending escape or character (``parse`` knows the
    file and turns it into a diagnostic)."""

    def __init__(self, message: str, line: int, col: int, end_col: int):
        super().__init__(message)
        self.message, self.line, self.col, self.end_col = message, line, col, end_col


# docs/language.md, Lexical: the escapes a string may hold (Python's, less the unknown ones,
# octal past \377, and code points that are not Unicode scalar values).
_SIMPLE_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "r": "\r", "t": "\t",
                   "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPE = re.compile(r'\\(?:[0-7]{1,3}|x[0-9A-Fa-f]{0,2}|u[0-9A-Fa-f]{0,4}|U[0-9A-Fa-f]{0,8}'
                     r'|N\{[^{}"\\]*\}|.?)', re.DOTALL)
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
_ESCAPES_HELP = ("a string's escapes are \\\\ \\\" \\' \\n \\r \\t \\a \\b \\f \\v, \\ooo (octal), "
                 "\\xhh, \\uhhhh, \\Uhhhhhhhh and \\N{name}")


def _unquote(token) -> str:
    """The value of a STRING token (quotes included). A bad escape, a code point that is
    not a Unicode scalar value (a lone surrogate, one past U+10FFFF) or a raw NUL raises
    :class:`BadString` at that spot, placed by the token's ``line``/``column`` (a lark
    Token's; 1:1 for a plain str)."""
    line, first = getattr(token, "line", None) or 1, getattr(token, "column", None) or 1
    body, out, pos = token[1:-1], [], 0

    def bad(message, start, end):  # start..end: 0-based, end exclusive, within ``body``
        raise BadString(message, line, first + 1 + start, first + end)

    for m in _ESCAPE.finditer(body):
        out.append(_plain(body[pos:m.start()], pos, bad))
        out.append(_escape(m.group(), m.start(), m.end(), bad))
        pos = m.end()
    out.append(_plain(body[pos:], pos, bad))
    return "".join(out)


def _plain(text: str, offset: int, bad) -> str:
    for i, ch in enumerate(text):
        if ch == "\0":
            bad("a string cannot hold a raw NUL character; write it as \\0", offset + i, offset + i + 1)
        if "\ud800" <= ch <= "\udfff":
            bad(f"a string cannot hold the lone surrogate U+{ord(ch):04X} (not a Unicode character)",
                offset + i, offset + i + 1)
    return text


def _escape(seq: str, start: int, end: int, bad) -> str:
    """The character the escape sequence ``seq`` (its backslash included) stands for."""
    shown = seq if seq.isprintable() else "\\" + seq[1:].encode("unicode_escape").decode("ascii")
    kind = seq[1:2]
    if kind in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[kind]
    if "0" <= kind <= "7":
        code = int(seq[1:], 8)
        if code > 0o377:
            bad(f"invalid escape '{shown}': an octal escape goes up to \\377", start, end)
        return chr(code)
    if kind in _HEX_DIGITS:
        digits = _HEX_DIGITS[kind]
        if len(seq) != 2 + digits:
            bad(f"invalid escape '{shown}': \\{kind} takes exactly {digits} hex digits", start, end)
        code = int(seq[2:], 16)
        if 0xD800 <= code <= 0xDFFF:
            bad(f"invalid escape '{shown}': a lone surrogate is not a Unicode character", start, end)
        if code > 0x10FFFF:
            bad(f"invalid escape '{shown}': past the last Unicode character (\\U0010ffff)", start, end)
        return chr(code)
    if kind == "N":
        if len(seq) == 2:
            bad("invalid escape '\\N': write a character's name in braces, \\N{name}", start, end)
        import unicodedata
        try:
            return unicodedata.lookup(seq[3:-1])
        except KeyError:
            bad(f"invalid escape '{shown}': no Unicode character has that name", start, end)
    bad(f"invalid escape '{shown}'; {_ESCAPES_HELP}", start, end)


class RoleReader:
    """Reads unclassified ``_Name``/``_Call`` nodes as values, literals or settings."""

    def value(self, node):
        """Interpret a parsed node in a value (expression) position."""
        if isinstance(node, _Call) and node.agg is None and node.name in FUNCTIONS:
            return run_recursive(self._read(node, self._function))  # `abs(abs(...))` may nest deep
        return self._value(node)

    def _value(self, node):
        if isinstance(node, _Name):
            return A.Wildcard(node.span) if node.name == "_" else A.Var(node.name, node.span)
        if isinstance(node, _Call):
            if node.agg is not None:
                return self._aggregate(node)
            raise BuildError(error(
                f"relation '{node.name}' used as a value; bind its argument instead "
                f"(e.g. `{node.name}(..., x), y = x`)", node.span))
        return node

    def _function(self, node):
        """How ``_read`` takes ``node`` in a value position: a built-in function's call is
        built from its arguments' readings (None: the reading needs no arguments')."""
        if isinstance(node, _Call) and node.agg is None and node.name in FUNCTIONS:
            return node.args, lambda args: A.Call(node.name, args, node.span)
        return None, None

    def _settings(self, node):
        """As ``_function``, in a settings position."""
        if isinstance(node, _Call) and node.agg is None:
            return node.args, lambda args: A.Call(node.name, args, node.span)
        if isinstance(node, A.ListExpr):
            return node.items, lambda items: A.ListExpr(items, node.span)
        return None, None

    def _read(self, node, parts):
        # a generator run by run_recursive: `yield` stands for a recursive call
        children, build = parts(node)
        if children is None:
            return self._value(node)
        read = []
        for child in children:
            read.append((yield self._read(child, parts)))
        return build(tuple(read))

    def config(self, node):
        """Interpret a node in a settings position (``provenance = diff_topk_proofs(k = 3)``)."""
        return run_recursive(self._read(node, self._settings))

    def literal(self, node):
        """Interpret a parsed node as a body literal or formula atom."""
        atom = self._literal(node)
        if isinstance(atom, A.Atom) and atom.rel in RESERVED:
            # the lexer reads a keyword as a name where the keyword cannot stand (`not(1).`)
            raise BuildError(error(f"'{atom.rel}' is a reserved word and cannot name a relation",
                                   atom.span))
        return atom

    def _literal(self, node):
        if isinstance(node, _Name):
            if node.name == "_":
                raise BuildError(error("`_` cannot stand alone as a literal", node.span))
            return A.Atom(node.name, (), node.span)
        if isinstance(node, _Call):
            if node.agg is not None:
                agg = self._aggregate(node)
                if agg.op not in ("exists", "forall"):
                    raise BuildError(error(
                        f"aggregate '{agg.op}' gives a value; bind it, e.g. `n = {agg.op}(...)`", node.span))
                return agg
            if node.name == "distinct":
                return A.Call(node.name, tuple(self.value(a) for a in node.args), node.span)
            for a in node.args:
                if isinstance(a, A.KwArg):
                    raise BuildError(error("keyword arguments are not allowed in an atom", a.span))
            if not node.args:
                raise BuildError(error(f"a nullary relation takes no parentheses: write `{node.name}`",
                                       node.span))
            return A.Atom(node.name, tuple(self.value(a) for a in node.args), node.span)
        if isinstance(node, (A.Comparison, A.Negation, A.Quantified, A.Connective, A.Not)):
            return node
        raise BuildError(error("expected a relation atom or a comparison here", getattr(node, "span", None)))

    def _aggregate(self, node: _Call) -> A.Aggregate:
        if node.name not in AGGREGATES:
            raise BuildError(error(
                f"unknown aggregate '{node.name}' (known: {', '.join(sorted(AGGREGATES))})", node.span))
        body, consequent = node.agg
        variables = []
        for a in node.args:
            v = self.value(a)
            if not isinstance(v, A.Var):
                raise BuildError(error("aggregate variables before ':' must be plain variables",
                                       getattr(v, "span", node.span)))
            variables.append(v)
        objective = None
        if node.name in ("argmin", "argmax"):
            # `argmax(p: score(p, v), v)`: the last item after the body is the objective.
            alts = body.alternatives
            if len(alts) != 1 or len(alts[0]) < 2:
                raise BuildError(error(
                    f"{node.name} needs an objective after its body: `{node.name}(x: body, value)`", node.span))
            last = alts[0][-1]
            objective = self._objective(last)
            body = A.Body((alts[0][:-1],), body.span)
        body, consequent = self.finish_body(body), self.finish_body(consequent)
        if consequent is not None and node.name != "forall":
            raise BuildError(error("only forall(...) takes `->` in its body", node.span))
        if node.name != "count" and node.name not in ("exists", "forall") and not variables:
            raise BuildError(error(f"{node.name} needs a variable before ':'", node.span))
        return A.Aggregate(node.name, tuple(variables), body, objective, consequent, node.span)

    def _objective(self, last):
        if isinstance(last, _Deferred):
            return last.expr
        if isinstance(last, A.Atom) and last.rel in FUNCTIONS - {"distinct"}:
            return A.Call(last.rel, last.args, last.span)  # `argmax(p: s(p, v), abs(v))`
        if isinstance(last, A.Atom) and not last.args:
            return A.Var(last.rel, last.span)
        if isinstance(last, (A.Comparison, A.Negation, A.Atom, A.Aggregate)):
            raise BuildError(error("argmin/argmax objective must be a value expression", last.span))
        return last

    def _literal_or_deferred(self, node):
        if isinstance(node, (A.BinOp, A.Neg, A.Const, A.Subscript, A.ListExpr, A.Call)):
            return _Deferred(node, node.span)
        return self.literal(node)

    def finish_body(self, body):
        """Reject value expressions left standing as literals."""
        if body is None:
            return None
        for conj in body.alternatives:
            for lit in conj:
                if isinstance(lit, _Deferred):
                    raise BuildError(error("expected a relation atom or a comparison here", lit.span))
        return body
