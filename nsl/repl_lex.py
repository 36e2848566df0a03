"""The REPL's lexer: highlighting tokens, and whether an input is complete.

Shared by the session (``?`` questions, continuation lines) and the terminal
front (syntax colours); no state of its own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from nsl.lang.diagnostics import CompileError

INPUT_FILE = "<repl>"  # the file name diagnostics give the input just typed
_ENDED_EARLY = "the program ended unexpectedly"  # lang/parser.py's message for a cut-short input

KEYWORDS = frozenset("""type rel input from not query import neural python train on constraint
    soft prove using consistent entails solve minimize maximize index check_ir forall exists
    exactly_one and or in true false""".split())
TYPE_NAMES = frozenset("int float real bool str tensor".split())
BUILTINS = frozenset("count sum min max argmin argmax abs knn".split())

# One regex over everything the lexer needs to tell apart; unknown characters
# (`?`, stray symbols) come out as one-character `punct` tokens.
_TOKEN = re.compile(r"""
    (?P<comment>//[^\n]*|/\*[\s\S]*?(?:\*/|\Z))
  | (?P<string>"(?:[^"\\\n]|\\.)*"?)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|s)?(?![A-Za-z_]))
  | (?P<directive>@[A-Za-z_]\w*)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<space>\s+)
  | (?P<operator>:-|::|\.\.|<->|->|==|!=|<=|>=|\*\*|\+\+|[-+*/%<>=])
  | (?P<punct>.)
""", re.VERBOSE)


@dataclass(frozen=True)
class Token:
    kind: str   # comment string number directive keyword type builtin relation variable operator punct space
    text: str
    start: int  # offset in the tokenized text


def tokenize(text: str, relations: frozenset[str] = frozenset()) -> list[Token]:
    """Split ``text`` into highlighting tokens; names are classified by keyword
    tables, by a following ``(``, and by the ``relations`` known so far."""
    raw = [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(text)]
    tokens = []
    for i, (kind, tok, start) in enumerate(raw):
        if kind == "name":
            kind = _classify_name(tok, raw[i + 1:], relations)
        tokens.append(Token(kind, tok, start))
    return tokens


def _classify_name(name: str, rest, relations) -> str:
    if name in KEYWORDS:
        return "keyword"
    if name in TYPE_NAMES:
        return "type"
    following = next((tok for kind, tok, _ in rest if kind != "space"), "")
    if name in BUILTINS and following == "(":
        return "builtin"
    if following == "(" or name in relations:
        return "relation"
    return "variable"


def _significant(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t.kind not in ("space", "comment")]


def question_mark(text: str) -> int | None:
    """The offset of a final ``?`` (``path(1, x)?``), or None when the input is not a question."""
    tokens = _significant(tokenize(text))
    if tokens and tokens[-1].text == "?":
        return tokens[-1].start
    return None


def is_complete(text: str) -> bool:
    """Whether ``text`` should be submitted rather than continued on another line.

    Only input the parser finds cut short (an open ``(``, a rule without its
    final ``.``, an open block comment) continues; a real syntax error is
    complete, so it is reported at once instead of trapping the user.
    """
    stripped = text.strip()
    if not stripped or stripped.startswith(":") or question_mark(text) is not None:
        return True
    tokens = tokenize(text)
    last = tokens[-1] if tokens else None
    if last is not None and last.kind == "comment" and last.text.startswith("/*") \
            and not last.text.endswith("*/"):
        return False
    from nsl.lang.parser import parse

    try:
        parse(text, INPUT_FILE)
    except CompileError as exc:
        return not any(d.message.startswith(_ENDED_EARLY) for d in exc.diagnostics)
    return True
