"""What the REPL keeps and works out about one input: the accepted input
itself (a chunk), hints for the relations it uses before they exist, and the
kinds of its plain facts (which let a facts-only input be checked without
recompiling the whole session)."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from nsl.lang import ast as A
from nsl.lang.diagnostics import CompileError, Span
from nsl.repl_lex import INPUT_FILE


@dataclass(frozen=True)
class Chunk:
    """One accepted input: a typed statement group or a loaded file."""

    label: str               # the file name its spans carry: "<repl:N>" or the loaded path
    text: str                # what was typed or loaded, for carets
    statements: tuple        # parsed, imports expanded, queries removed
    path: str | None         # a loaded file's absolute path (None for typed input): a reload replaces it
    shown: str               # the text without its queries, for :show (queries are never kept)
    kinds: tuple = ()        # (kind of fact or None, statement) per statement, see FactKinds


def make_chunk(label: str, text: str, statements: tuple, path: str | None, shown: str) -> Chunk:
    """A chunk, with the kind of each of its plain facts worked out once."""
    kinds = tuple(((s.head.rel, _shape(s.head.args)) if plain_fact(s) else None, s) for s in statements)
    return Chunk(label, text, statements, path, shown, kinds)


_UNKNOWN = re.compile(r"unknown relation '(\w+)'")


def with_declare_hints(exc: CompileError, statements: tuple, label: str) -> CompileError:
    """``exc`` with a note on each unknown relation of this input: as in a file, a rule can
    only use a relation the program defines, so rules that use each other (``odd`` from
    ``even``, ``even`` from ``odd``) are entered in one input, or after a ``rel`` that
    declares the first one. A standard module imported before the relation it uses
    (``import std.graph`` before ``edge``) gets the note once, on its first use."""
    from dataclasses import replace

    from nsl.lang.diagnostics import note
    from nsl.lang.walk import atoms_in_literal

    if label != INPUT_FILE:
        return exc
    arity = {atom.rel: len(atom.args)
             for stmt in statements if isinstance(stmt, A.Rule) and stmt.body is not None
             for conj in stmt.body.alternatives for lit in conj
             for atom, _ in atoms_in_literal(lit)}
    spliced = {s.span.file for s in statements} - {label}  # the modules this input imports
    noted: set = set()  # (module, relation) given the note (check_program shows one error a module)
    out = []
    for d in exc.diagnostics:
        m = _UNKNOWN.match(d.message)
        file = d.span.file if d.span is not None else None
        if not (m and m.group(1) in arity and (file == label or file in spliced)):
            out.append(d)
            continue
        name, n = m.group(1), arity[m.group(1)]
        params = "(" + ", ".join(f"{chr(97 + i % 26)}{i // 26 or ''}: int" for i in range(n)) + ")"
        declare = f"declare it first: `rel {name}{params if n else ''}`" + (" (with its column types)" if n else "")
        if file == label:
            out.append(replace(d, notes=d.notes + (note(
                f"to define '{name}' after this rule (rules that use each other, one at a time), "
                f"{declare}"),)))
        elif (file, name) not in noted:
            noted.add((file, name))
            out.append(replace(d, notes=d.notes + (note(
                f"{file.strip('<>')} uses '{name}', which the session does not define yet: define "
                f"it in the same input as the import, or {declare}"),)))
        else:
            out.append(d)
    return CompileError(out, exc.sources)


def plain_fact(stmt) -> bool:
    return isinstance(stmt, A.Rule) and stmt.body is None and stmt.prob is None


class FactKinds:
    """The statements of some chunks with only the first plain fact of each relation and
    shape of values, and a standard module spliced in once; grown a chunk at a time.

    Checking a new fact needs its relation's column types, which the facts already kept
    fix (or their declaration does), not every fact: no check relates one fact to another
    beyond their types, and facts of the same shape (``e(1, 2)``, ``e(3, 4)``) give the same.
    """

    def __init__(self):
        self.chunks: list[Chunk] = []
        self.statements: list = []
        self._seen, self._included = set(), set()

    def of(self, chunks: list) -> tuple:
        """The statements for ``chunks``, reusing the work done for a prefix of them."""
        view = self if self.chunks == chunks[:len(self.chunks)] else FactKinds()
        for chunk in chunks[len(view.chunks):]:
            view._add(chunk)
        self.__dict__.update(view.__dict__)
        return tuple(self.statements)

    def _add(self, chunk: Chunk) -> None:
        self.chunks.append(chunk)
        spliced_here = set()
        for kind, stmt in chunk.kinds:
            if kind is not None:
                if kind in self._seen:
                    continue
                self._seen.add(kind)
            elif stmt.span.file != chunk.label:
                if stmt.span.file in self._included:
                    continue
                spliced_here.add(stmt.span.file)
            self.statements.append(stmt)
        self._included |= spliced_here


def _shape(node):
    """A node's structure with every leaf replaced by its type (spans left out)."""
    if isinstance(node, (tuple, list)):
        return tuple(_shape(n) for n in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, Span):
        return (type(node).__name__,) + tuple(_shape(getattr(node, f.name))
                                             for f in dataclasses.fields(node) if f.name != "span")
    return type(node).__name__
