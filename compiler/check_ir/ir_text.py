"""Reading what llvmlite's binding does not expose from LLVM's printed IR.

Predicates, poison flags, switch case values, call-site attributes and
metadata are only in the text. Names may be quoted and then contain any
character (``%"c = icmp ult i8, (x)"``; a ``"`` inside is printed ``\\22``),
so nothing here searches raw text: a small tokenizer keeps quoted strings and
bracketed groups whole, and fields are read at known token positions.

Instructions are taken from the *module's* printout, not ``str(inst)``: LLVM
numbers metadata per printout, and only the module's numbering matches the
``!N = ...`` definitions printed at its end.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_OPEN = {"(": ")", "[": "]", "{": "}", "<": ">"}
_RESULT = re.compile(r'^\s*(%(?:[-\w.$]+|"[^"]*"))\s*=\s*')
_METADATA_DEF = re.compile(r"^!(\d+) = (?:distinct )?!\{(.*)\}\s*$")
_ATTR_GROUP = re.compile(r"^attributes #(\d+) = \{ (.*) \}\s*$")


def tokenize(text: str) -> list[str]:
    """Words, ``,`` and whole bracketed groups; quoted strings stay in their word."""
    tokens: list[str] = []
    word: list[str] = []
    i, n = 0, len(text)

    def flush():
        if word:
            tokens.append("".join(word))
            word.clear()

    while i < n:
        ch = text[i]
        if ch == '"':
            end = text.find('"', i + 1)
            end = n - 1 if end < 0 else end
            word.append(text[i:end + 1])
            i = end + 1
        elif ch in _OPEN:
            flush()
            end = _group_end(text, i)
            tokens.append(text[i:end + 1])
            i = end + 1
        elif ch == ",":
            flush()
            tokens.append(",")
            i += 1
        elif ch.isspace():
            flush()
            i += 1
        else:
            word.append(ch)
            i += 1
    flush()
    return tokens


def _group_end(text: str, start: int) -> int:
    """The index of the bracket closing the one at ``start`` (quotes skipped)."""
    stack = [_OPEN[text[start]]]
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            end = text.find('"', i + 1)
            i = len(text) if end < 0 else end + 1
            continue
        if ch in _OPEN:
            stack.append(_OPEN[ch])
        elif ch == stack[-1]:
            stack.pop()
            if not stack:
                return i
        i += 1
    return len(text) - 1


def inner(group: str) -> list[str]:
    """The tokens inside a bracketed group token."""
    return tokenize(group[1:-1])


def split_commas(tokens: list[str]) -> list[list[str]]:
    """Top-level comma-separated segments of a token list."""
    segments: list[list[str]] = [[]]
    for tok in tokens:
        if tok == ",":
            segments.append([])
        else:
            segments[-1].append(tok)
    return segments


@dataclass(frozen=True)
class InstText:
    """One printed instruction: its result name, the tokens after ``=`` and
    its metadata attachments ``(kind, node id)``."""
    text: str
    result: str                                  # "%x", '%"a b"' or ""
    tokens: tuple[str, ...]                      # without the attachments
    metadata: tuple[tuple[str, str], ...] = ()


def parse_instruction(text: str) -> InstText:
    """Split a printed instruction into result, tokens and metadata attachments."""
    match = _RESULT.match(text)
    result = match.group(1) if match else ""
    tokens = tokenize(text[match.end():] if match else text)
    segments = split_commas(tokens)
    metadata = []
    while len(segments) > 1 and _is_attachment(segments[-1]):
        kind, node = segments.pop()
        metadata.append((kind[1:], node))
    kept = [tok for i, seg in enumerate(segments) for tok in ([","] if i else []) + seg]
    return InstText(text.strip(), result, tuple(kept), tuple(reversed(metadata)))


def _is_attachment(segment: list[str]) -> bool:
    return (len(segment) == 2 and segment[0].startswith("!") and len(segment[0]) > 1
            and segment[1].startswith("!"))


@dataclass
class FunctionText:
    define: str                                  # the ``define`` line
    attrs_comment: str                           # "; Function Attrs: ..." or ""
    insts: list[str] = field(default_factory=list)


@dataclass
class ModuleText:
    functions: list[FunctionText | None]         # per module function; None: declaration
    metadata: dict[str, str]                     # "!3" -> "i8 0, i8 10"
    attribute_groups: dict[str, str]             # "#1" -> "nounwind willreturn"


def read_module(text: str) -> ModuleText:
    """Split a module's printout into functions (with instruction texts) and
    the metadata and attribute-group definitions."""
    functions: list[FunctionText | None] = []
    metadata: dict[str, str] = {}
    groups: dict[str, str] = {}
    current: FunctionText | None = None
    comment = ""
    for line in text.splitlines():
        if current is not None:
            if line == "}":
                current = None
            elif not line.strip() or line.lstrip().startswith((";", "#dbg_")):
                continue
            elif line.startswith("  ") and not line[2].isspace() and line[2] != "]":
                current.insts.append(line)
            elif line[0].isspace():   # switch cases and the closing "]"
                if current.insts:
                    current.insts[-1] += "\n" + line
            continue                  # a block label
        if line.startswith("; Function Attrs:"):
            comment = line
            continue
        if line.startswith("define "):
            current = FunctionText(line, comment)
            functions.append(current)
        elif line.startswith("declare "):
            functions.append(None)
        elif (m := _METADATA_DEF.match(line)):
            metadata["!" + m.group(1)] = m.group(2)
        elif (m := _ATTR_GROUP.match(line)):
            groups["#" + m.group(1)] = m.group(2)
        comment = ""
    return ModuleText(functions, metadata, groups)


def result_name(text: str) -> str:
    match = _RESULT.match(text)
    return match.group(1) if match else ""
