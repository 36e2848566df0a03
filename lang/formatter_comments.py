"""``nslc fmt`` on source text: the canonical layout, with the comments kept.

Comments are not in the AST, so they are found in the text and re-attached to
statements by position:

* a comment with code before it on its line, after a statement's end, trails
  that statement (``stmt.  // why``);
* any other comment leads the next statement that starts after it, on its own
  line; one inside a statement (say between two items of a ``solve`` block) is
  hoisted above that statement, since the statement is re-laid out anyway;
* comments after the last statement stay at the end.

Blank lines: one is kept wherever the source had one or more (between
statements, around comments), and one is added between groups of statements
of different kinds as :func:`nsl.lang.formatter.format_program` does.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field

from nsl.lang import ast as A
from nsl.lang.diagnostics import CompileError, SourceMap, Span, error
from nsl.lang.formatter import Unprintable, format_statement, group_of
from nsl.lang.parser import parse

# Strings first, so that `//` or `/*` inside a string is not taken for a comment.
_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*(?:.|\n)*?\*/')


@dataclass
class _Comment:
    text: str
    line: int  # 1-based
    col: int
    end_line: int
    own_line: bool  # nothing but blanks (or other comments) before it on its line


@dataclass
class _Slot:
    """A statement with the comments re-attached to it."""

    stmt: object
    leading: list = field(default_factory=list)
    trailing: list = field(default_factory=list)


def format_source(text: str, file: str = "<input>") -> str:
    """Format NSL source text, keeping its comments; raises ``CompileError`` (rendering the
    source line and carets) if it does not parse, or holds a literal no NSL text can write."""
    sources = SourceMap()
    program = parse(text, file, sources)
    lines = text.split("\n")
    comments = _comments(text)
    slots = [_Slot(s) for s in program.statements]
    footer: list[_Comment] = []
    for c in comments:
        _attach(c, slots, footer)
    blank = _blank_lines(lines)

    out: list[str] = []
    previous = None  # (group, last source line) of the previous statement or comment
    for slot in slots:
        span = slot.stmt.span
        kind = group_of(slot.stmt)
        end = max([span.end_line] + [c.end_line for c in slot.trailing])
        items = [(c.line, c.end_line, c.text) for c in slot.leading] + [(span.line, end, None)]
        for i, (start, end, comment) in enumerate(items):
            if previous is not None:
                changed = i == 0 and previous[0] != kind
                if changed or blank(previous[1], start):
                    out.append("")
            if comment is None:
                stmt_text = _format(slot.stmt, sources)
                if slot.trailing:
                    stmt_text += "  " + " ".join(c.text for c in slot.trailing)
                out.append(stmt_text)
            else:
                out.append(comment)
            previous = (kind, end)
    for c in footer:
        if previous is not None and blank(previous[1], c.line):
            out.append("")
        out.append(c.text)
        previous = (None, c.end_line)
    return "\n".join(out) + "\n" if out else ""


def _format(stmt, sources: SourceMap) -> str:
    try:
        return format_statement(stmt)
    except Unprintable as exc:
        raise CompileError([_unprintable(stmt, exc)], sources) from None


def _unprintable(stmt, exc: Unprintable):
    """The error for a statement fmt cannot print, as `nslc check` reports it: a float past
    64 bits (``1e400`` reads as inf, which has no literal) as a probability or a literal;
    else at the statement."""
    start = Span(stmt.span.file, stmt.span.line, stmt.span.col, stmt.span.line, stmt.span.col)
    probs = ([(stmt.prob, start, "")] if isinstance(stmt, A.Rule) and stmt.prob is not None else
             [(p, start if k == 0 else atom.span, "" if k == 0 else " of this choice")
              for k, (p, atom) in enumerate(stmt.choices)]
             if isinstance(stmt, A.AnnotatedDisjunction) else [])
    for prob, span, whose in probs:
        if not math.isfinite(prob):
            return error(f"probability {prob!r}{whose} is not between 0 and 1", span)
    stack = [stmt]
    while stack:  # iterative: an expression nests as deep as it is long
        node = stack.pop()
        if isinstance(node, A.Const) and isinstance(node.value, float) and not math.isfinite(node.value):
            return error("this float is too large for 64 bits", node.span)
        if isinstance(node, (tuple, list)):
            stack.extend(reversed(node))
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            stack.extend(getattr(node, f.name) for f in reversed(dataclasses.fields(node))
                         if f.name != "span")
    return error(f"cannot format this statement: {exc}", stmt.span)


def _comments(text: str) -> list[_Comment]:
    matches = [m for m in _TOKENS.finditer(text) if not m.group().startswith('"')]
    code = list(text)  # the text with every comment blanked out (strings count as code)
    for m in matches:
        for i in range(m.start(), m.end()):
            if code[i] != "\n":
                code[i] = " "
    code_text = "".join(code)
    found = []
    for m in matches:
        line_start = text.rfind("\n", 0, m.start()) + 1
        line = text.count("\n", 0, m.start()) + 1
        found.append(_Comment(m.group().rstrip(), line, m.start() - line_start + 1,
                              line + m.group().count("\n"),
                              not code_text[line_start:m.start()].strip()))
    return found


def _attach(c: _Comment, slots: list[_Slot], footer: list) -> None:
    here = (c.line, c.col)
    for slot in slots:
        span = slot.stmt.span
        if (span.line, span.col) > here:  # the first statement after the comment
            slot.leading.append(c)
            return
        if here <= (span.end_line, span.end_col):  # inside this statement: hoist it
            slot.leading.append(c)
            return
        if not c.own_line and c.line == span.end_line and _is_last_on_line(slot, slots, c):
            slot.trailing.append(c)
            return
    footer.append(c)


def _is_last_on_line(slot: _Slot, slots: list[_Slot], c: _Comment) -> bool:
    """``a. b. // c`` trails ``b``: no later statement starts before the comment."""
    i = slots.index(slot)
    nxt = slots[i + 1].stmt.span if i + 1 < len(slots) else None
    return nxt is None or (nxt.line, nxt.col) > (c.line, c.col)


def _blank_lines(lines: list[str]):
    def blank(after_line: int, before_line: int) -> bool:
        """Whether a blank source line lies strictly between the two lines."""
        return any(not lines[i - 1].strip() for i in range(after_line + 1, before_line))
    return blank
