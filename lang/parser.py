"""Parse NSL source text into an AST (:class:`nsl.lang.ast.Program`).

Lark's exceptions are rewritten into one short diagnostic each ("expected one
of ...", "the program ended unexpectedly"), positioned at the offending token.
"""
from __future__ import annotations

import functools
import re
from importlib import resources

from nsl.lang import ast as A
from nsl.lang.diagnostics import CompileError, SourceMap, Span, error

# Friendly names for the grammar's terminals, used in "expected ..." messages.
_TERMINAL_NAMES = {
    "NAME": "a name", "INT": "an integer", "FLOAT": "a number", "STRING": "a string",
    "DOT": "'.'", "COMMA": "','", "COLON": "':'", "SEMICOLON": "';'", "LPAR": "'('",
    "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'",
    "COMPARE": "a comparison", "ADD_OP": "'+' or '-'", "MUL_OP": "'*', '/' or '%'",
    "POW_OP": "'**'", "MINUS": "'-'", "EQUAL": "'='", "QUANT": "a quantifier",
    "PRIM_TYPE": "a type", "TYPE_COLON": "':'", "DURATION": "a duration",
    "TRUE": "'true'", "FALSE": "'false'", "IF": "':-'", "__ANON_0": "':-'",
}


@functools.lru_cache(maxsize=1)
def _lark():
    from lark import Lark
    grammar = resources.files("nsl.grammar").joinpath("nsl.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True,
                cache=False)


def parse(text: str, file: str = "<input>", sources: SourceMap | None = None) -> A.Program:
    """Parse ``text``; raise :class:`CompileError` with a positioned diagnostic on failure."""
    from lark.exceptions import UnexpectedInput, VisitError

    from nsl.lang.ast_builder import AstBuilder
    from nsl.lang.ast_roles import BadString, BuildError

    if sources is not None:
        sources.add(file, text)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        raise CompileError([_syntax_diagnostic(exc, text, file)], sources) from None
    too_deep = _check_depth(tree, file)
    if too_deep is not None:
        raise CompileError([too_deep], sources)
    # statement by statement, so that one bad statement does not hide the errors of others
    builder, items, errors = AstBuilder(file), [], []
    for statement in tree.children:
        try:
            item = builder.transform(statement)
        except VisitError as exc:
            bad = exc.orig_exc
            if isinstance(bad, BadString):
                errors.append(error(bad.message, Span(file, bad.line, bad.col, bad.line, bad.end_col)))
                continue
            if not isinstance(bad, BuildError):
                raise
            errors.append(bad.diagnostic)
            continue
        if item is not None:
            items.append(item)
    if errors:
        raise CompileError(errors, sources)
    return A.Program(tuple(items), file)


# A long flat expression (`y + 1 + 1 + ...`) is a left-nested tree as deep as it is long;
# every pass over expressions and formulas (the builder, the checks, lowering, folding, the
# formatter, the runtime's compiled expressions) walks it with an explicit stack, so depth
# costs no Python stack and Python's recursion limit is left alone. Two limits remain, each
# a positioned error: MAX_NESTING levels of the parse tree (memory and time, not stack), and
# MAX_AGGREGATE_NESTING aggregates inside one another, a nesting the passes still follow
# with a few Python calls per level.
MAX_NESTING = 100_000
MAX_AGGREGATE_NESTING = 50
# The parse-tree nodes that count as a level of an expression or formula. The
# levels above them (statement, body, literal, ...) are not counted, so the
# limit does not depend on where the expression stands; they are few, and
# MAX_AGGREGATE_NESTING bounds how often an aggregate's body repeats them.
_NESTING_NODES = frozenset({
    "binop", "neg", "compare", "compare_chain", "concat_op", "index_op", "call", "list_expr",
    "negation", "iff", "implies", "f_or", "f_and", "f_not", "quantified"})


def _check_depth(tree, file: str):
    """An error at the first node nested past the limits above, or None. Iterative: it must
    not recurse itself."""
    stack = [(tree, 0, 0)]
    while stack:
        node, depth, aggregates = stack.pop()
        if node.data == "agg_body":
            aggregates += 1
        if node.data in _NESTING_NODES:
            depth += 1
        if depth > MAX_NESTING or aggregates > MAX_AGGREGATE_NESTING:
            meta = node.meta
            line, col = getattr(meta, "line", 1), getattr(meta, "column", 1)
            message = (f"this expression nests more than {MAX_NESTING} levels deep"
                       if depth > MAX_NESTING else
                       f"aggregates nest more than {MAX_AGGREGATE_NESTING} deep here")
            return error(f"{message}; split it into steps with intermediate variables (`t = ...`)",
                         Span(file, line, col, line, col))
        stack.extend((c, depth, aggregates) for c in node.children if hasattr(c, "children"))
    return None


_CHARACTER_HINTS = {
    "&": " (in a rule body, ',' means 'and'; in a formula, write 'and')",
    "|": " (in a rule body, ';' means 'or'; in a formula, write 'or')",
    "!": " (write 'not', or '!=' for inequality)",
    "'": " (strings use double quotes)",
    "?": " (`p(x)?` queries work in the REPL; in a file, write `query p(x).`)",
}


def _precise_accepts(exc) -> set:
    """The tokens that really continue the input here.

    LALR merges states, so the table's expected set can include tokens that
    would fail a step later (a ')' after a complete statement); lark's
    interactive parser tries each one.
    """
    parser = getattr(exc, "interactive_parser", None)
    if parser is None:
        return set()
    try:
        return set(parser.accepts())
    except Exception:  # noqa: BLE001 - a better message is a nicety, never a crash
        return set()


def _describe(token) -> str:
    if token is None or token.type == "$END":
        return "end of input"
    return repr(str(token))


# Closing punctuation first: after a truncated statement it is the likeliest fix.
_PREFERRED = ["RPAR", "RSQB", "RBRACE", "DOT", "COMMA", "SEMICOLON", "COLON"]


# A duration (`2s`) is only a prover option's value; offered in every expression's list
# (`p(.5).`) it misleads, and a duration elsewhere gets its own message from the checks.
_NEVER_SUGGESTED = frozenset({"DURATION"})


def _expected(names) -> str:
    friendly = []
    names = [n for n in names if n not in _NEVER_SUGGESTED]
    ordered = [n for n in _PREFERRED if n in names] + sorted(n for n in names if n not in _PREFERRED)
    for name in ordered:
        label = _TERMINAL_NAMES.get(name)
        if label is None:
            label = _literal_label(name)
        if label and label not in friendly:
            friendly.append(label)
    if not friendly:
        return ""
    if len(friendly) > 6:
        friendly = friendly[:6] + ["..."]
    return "; expected " + (friendly[0] if len(friendly) == 1 else "one of " + ", ".join(friendly))


@functools.lru_cache(maxsize=None)
def _literal_label(name: str) -> str | None:
    for term in _lark().terminals:
        if term.name == name:
            if term.pattern.type == "str":
                return repr(term.pattern.value)
            return name.lower()
    return None


def _syntax_diagnostic(exc, text: str, file: str):
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    line, col = max(getattr(exc, "line", 1) or 1, 1), max(getattr(exc, "column", 1) or 1, 1)
    token = getattr(exc, "token", None)
    pos = getattr(exc, "pos_in_stream", None) if token is None else getattr(token, "start_pos", None)
    if pos is not None and text.startswith("/*", pos):
        # a closed `/* */` would have been skipped as a comment: this one never ends
        return error("unterminated comment (no '*/' closes this '/*')", Span(file, line, col, line, col + 1))
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END" or isinstance(exc, UnexpectedEOF):
        lines = text.splitlines() or [""]
        line, col = len(lines), max(len(lines[-1]), 1)
        expected = (_precise_accepts(exc) or getattr(exc, "expected", None)
                    or getattr(exc, "accepts", None) or ())
        msg = "the program ended unexpectedly" + _expected(expected)
        if "DOT" in expected:
            msg += " (is a '.' missing at the end of a statement?)"
        return error(msg, Span(file, line, col, line, col))
    if isinstance(exc, UnexpectedCharacters):
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        if ch == '"':
            return error("unterminated string", Span(file, line, col, line, col))
        # No token starts with this character, so no list of alternatives helps; a hint may.
        return error(f"unexpected character {ch!r}" + _CHARACTER_HINTS.get(ch, ""),
                     Span(file, line, col, line, col))
    tok = exc.token
    end_col = col + max(len(str(tok)), 1) - 1
    expected = _precise_accepts(exc) or exc.accepts or exc.expected
    msg = f"unexpected {_describe(tok)}" + _expected(expected)
    if tok.type == "DOT" and text[tok.start_pos + 1:tok.start_pos + 2].isdigit():
        digits = re.match(r"\.\d+", text[tok.start_pos:]).group()
        msg += f" (a number starts with a digit: write 0{digits})"
    if tok.type == "NAME" and "DOT" in expected:
        msg += " (is a '.' missing at the end of the previous statement?)"
    if str(tok) == ";" and "RPAR" in expected:
        msg += (" (`;` joins alternatives only at the top level of a rule or aggregate body, "
                "not inside parentheses: write `h(x) :- a(x), b(x) ; a(x), c(x).` "
                "or one rule per alternative)")
    return error(msg, Span(file, line, col, line, end_col))
