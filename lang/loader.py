"""Load a program from a path or text, resolving ``import std.x`` statements.

Standard-library modules are ``.nsl`` files shipped in ``nsl.stdlib`` and read
through importlib.resources. Imported statements are spliced in place of the
``import`` (each module once), keeping their own file name in their spans.
"""
from __future__ import annotations

import os
from importlib import resources

from nsl.lang import ast as A
from nsl.lang.diagnostics import CompileError, SourceMap, Span, error
from nsl.lang.parser import parse


def looks_like_path(path_or_text: str) -> bool:
    """How ``nsl.compile`` tells a path from program text: one line naming an existing
    file, or ending in ``.nsl`` with no ``(`` or ``//`` (which a path rarely holds and
    a one-line program such as ``edge(1, 2). // see graph.nsl`` does)."""
    s = path_or_text.strip()
    if "\n" in s:
        return False
    if "\0" not in s and len(s) < 4096 and os.path.isfile(s):
        return True
    return s.endswith(".nsl") and "(" not in s and "//" not in s


def no_nul(path) -> str:
    """``path`` with a NUL shown as ``\\0``, not written raw to the terminal."""
    return str(path).replace("\0", "\\0")


def read_source(path: str) -> str:
    if "\0" in str(path):  # no file has such a name (open would raise ValueError)
        raise CompileError([error("no such file (a path cannot hold a NUL character)",
                                  Span.unknown(no_nul(path)))])
    try:
        with open(path, encoding="utf-8-sig") as f:  # a byte order mark is not program text
            return f.read()
    except FileNotFoundError:
        raise CompileError([error("no such file", Span.unknown(path))]) from None
    except IsADirectoryError:
        raise CompileError([error("is a directory, not an NSL file", Span.unknown(path))]) from None
    except UnicodeDecodeError as exc:
        raise CompileError([_decode_error(path, exc)]) from None
    except OSError as exc:
        raise CompileError([error(exc.strerror or str(exc), Span.unknown(path))]) from None


def _decode_error(path: str, exc: UnicodeDecodeError):
    """A not-UTF-8 error at the line and column of the first bad byte (``exc``
    counts bytes after a byte order mark, which the codec skips)."""
    with open(path, "rb") as f:
        data = f.read()
    start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
    before = data[:start].decode("utf-8-sig", errors="replace")
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return error(f"not UTF-8 text: byte 0x{data[start]:02x} at offset {start} ({exc.reason})",
                 Span(path, line, col, line, col))


def load_program(text: str, file: str, sources: SourceMap) -> A.Program:
    """Parse ``text`` and splice in every imported standard-library module."""
    program = parse(text, file, sources)
    seen: set[tuple[str, ...]] = set()
    return A.Program(tuple(_expand(program.statements, sources, seen)), file)


def _expand(statements, sources: SourceMap, seen: set) -> list:
    out = []
    for stmt in statements:
        if not isinstance(stmt, A.Import):
            out.append(stmt)
            continue
        if stmt.path in seen:
            continue
        seen.add(stmt.path)
        try:
            text, name = _stdlib_source(stmt)
        except CompileError as exc:
            raise CompileError(exc.diagnostics, sources) from None
        module = parse(text, name, sources)
        out.extend(_expand(module.statements, sources, seen))
    return out


def stdlib_modules() -> list[str]:
    """Names importable as ``import std.NAME``."""
    root = resources.files("nsl.stdlib")
    return sorted(p.name[:-4] for p in root.iterdir() if p.name.endswith(".nsl"))


def _stdlib_source(stmt: A.Import) -> tuple[str, str]:
    dotted = ".".join(stmt.path)
    if len(stmt.path) != 2 or stmt.path[0] != "std":
        raise CompileError([error(f"cannot import '{dotted}': only standard modules `std.NAME` "
                                  "can be imported", stmt.span)])
    resource = resources.files("nsl.stdlib").joinpath(stmt.path[1] + ".nsl")
    if not resource.is_file():
        known = ", ".join("std." + m for m in stdlib_modules())
        raise CompileError([error(f"no standard module '{dotted}' (available: {known})", stmt.span)])
    return resource.read_text(encoding="utf-8"), f"<{dotted}>"
