"""Source spans and diagnostics.

Every AST node carries a :class:`Span`; checkers collect :class:`Diagnostic`s
and the CLI renders them as ``file:line:col: error: message`` followed by the
source line and carets under the span (the xDSL / clang layout).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True, order=True)
class Span:
    """A region of one source file; lines and columns are 1-based, end inclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @staticmethod
    def unknown(file: str = "<unknown>") -> "Span":
        return Span(file, 0, 0, 0, 0)

    def to(self, other: "Span") -> "Span":
        """The span from the start of ``self`` to the end of ``other``."""
        return Span(self.file, self.line, self.col, other.end_line, other.end_col)


@dataclass(frozen=True)
class Diagnostic:
    """One message about the program: an error, a warning or a note."""

    severity: str  # "error" | "warning" | "note"
    message: str
    span: Span | None = None
    notes: tuple["Diagnostic", ...] = ()

    def render(self, sources: "SourceMap | None" = None) -> str:
        """``file:line:col: severity: message``, then the source line and carets."""
        if self.span is None or self.span.line <= 0:
            head = f"{self.span.file}: " if self.span is not None else ""
            out = [f"{head}{self.severity}: {self.message}"]
        else:
            out = [f"{self.span}: {self.severity}: {self.message}"]
            line_text = sources.line(self.span.file, self.span.line) if sources else None
            if line_text is not None:
                out.append(line_text)
                out.append(_carets(line_text, self.span))
        for note in self.notes:
            out.append(note.render(sources))
        return "\n".join(out)


def _carets(line_text: str, span: Span) -> str:
    """Carets under ``span``. Columns count characters (``line:col`` too); the padding and
    the carets count display columns, so they line up after wide characters (CJK, emoji:
    two columns) and combining marks (none); a tab is kept as a tab."""
    start = max(span.col - 1, 0)
    if span.end_line == span.line and span.end_col >= span.col:
        under = line_text[start:span.end_col]
        width = _display_width(under) + max(span.end_col - start - len(under), 0)
    else:
        width = _display_width(line_text.rstrip()[start:])
    prefix = "".join("\t" if c == "\t" else " " * _char_width(c) for c in line_text[:start])
    return prefix + "^" * max(width, 1)


def _char_width(c: str) -> int:
    import unicodedata
    if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def _display_width(text: str) -> int:
    return sum(_char_width(c) for c in text)


def error(message: str, span: Span | None = None, *notes: Diagnostic) -> Diagnostic:
    return Diagnostic("error", message, span, tuple(notes))


def note(message: str, span: Span | None = None) -> Diagnostic:
    return Diagnostic("note", message, span)


class SourceMap:
    """The text of every file a program was built from, for rendering carets."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}

    def add(self, file: str, text: str) -> None:
        # Lines as the lexer numbers them: only "\n" ends one (a file is read with universal
        # newlines, so a "\r\n" or lone "\r" in it is already a "\n"; a "\r\n" in text
        # given as a string shows without its "\r"). ``str.splitlines`` would also split at
        # "\v", "\f", "\x1c"-"\x1e", "\x85", U+2028 and U+2029, which a string or a comment
        # may hold, and so show the wrong line under every later diagnostic.
        self._lines[file] = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]

    def line(self, file: str, line: int) -> str | None:
        lines = self._lines.get(file)
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]


class CompileError(Exception):
    """Raised by the library when a program has errors; carries every diagnostic."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: SourceMap | None = None):
        self.diagnostics = tuple(diagnostics)
        self.sources = sources
        super().__init__(self.render())

    def __reduce__(self):
        # ``args`` holds the rendered text, which __init__ does not take: pickle and copy
        # (so a multiprocessing worker's error reaches its pool) rebuild from the diagnostics
        return type(self), (self.diagnostics, self.sources)

    def render(self) -> str:
        return "\n".join(d.render(self.sources) for d in self.diagnostics)

    def with_sources(self, sources: SourceMap | None) -> "CompileError":
        """This error, rendering with ``sources`` unless it already has its own; a stage
        that raises without the source map (lowering, passes) is given the driver's."""
        return self if self.sources is not None or sources is None else CompileError(self.diagnostics, sources)


class UsageError(Exception):
    """A mistake in how a command or a library function was called (``nslc``: exit status
    2), not in a program: exported as ``nsl.UsageError``."""


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)
