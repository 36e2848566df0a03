"""The library interface: ``nsl.compile(path_or_text).run(facts=...)``.

Errors in a program or in its data raise :class:`nsl.CompileError`, whose
diagnostics render as ``file:line:col: error: ...`` with the source line and a
caret; a wrong argument to a function here (an unknown relation in ``queries``,
``max_iterations=0``) raises :class:`nsl.UsageError`, and a source that is no
text or path a :class:`TypeError`.
"""
from __future__ import annotations

import os
from dataclasses import replace
from collections.abc import Mapping
from typing import Any, Iterable

from nsl.lang.diagnostics import CompileError, UsageError, error
from nsl.given_facts import given_facts, load_file
from nsl.lang.loader import no_nul
from nsl.result import Result


def compile(source: str | os.PathLike, *, verify: bool = False) -> "Program":
    """Compile a program given as a path to a ``.nsl`` file or as source text.

    A :class:`os.PathLike` is always a path. A str is a path when it names an existing
    file, or when it is one line ending in ``.nsl`` that holds no ``(`` and no ``//``
    (so ``"edge(1,2). // see graph.nsl"`` is a program); any other str is program text.
    """
    from nsl.compiler.driver import compile_source
    from nsl.lang.loader import looks_like_path, read_source

    if not isinstance(source, (str, os.PathLike)):
        raise TypeError("nsl.compile takes program text (a str) or a path (a str or "
                        f"os.PathLike), not {type(source).__name__}")
    if isinstance(source, os.PathLike) or looks_like_path(source):
        path = os.fspath(source)
        if not isinstance(path, str):
            raise TypeError(f"nsl.compile takes a str path, not {type(path).__name__}")
        text, file = read_source(path), path  # a NUL in it: "no such file"
        base = os.path.dirname(os.path.abspath(path))
    else:
        text, file, base = str(source), "<input>", os.getcwd()
    return Program(compile_source(text, file, verify=verify), base, verify)


class Program:
    """A compiled program: its AST, its IR, and a way to run it."""

    def __init__(self, compilation, base_dir: str, verify: bool = False, *,
                 file_dirs: Mapping[str, str] | None = None, index_cache: dict | None = None):
        """``base_dir`` is the folder relative ``from`` paths resolve against;
        ``file_dirs`` overrides it per source file (the REPL's loaded files each
        keep their own folder), keyed by the file name the spans carry.
        ``index_cache`` may be shared by several programs (the REPL's inputs)."""
        self._comp = compilation
        self.base_dir = base_dir
        self._file_dirs = dict(file_dirs or {})
        self._verify = verify
        # (abs path, file stamps, declaration) -> VectorIndex
        self._index_cache: dict = {} if index_cache is None else index_cache

    @property
    def ast(self):
        return self._comp.ast

    @property
    def ir(self):
        """The optimised IR module the runtime executes."""
        return self._comp.module

    @property
    def sources(self):
        return self._comp.sources

    @property
    def warnings(self):
        """Diagnostics that do not stop compilation (e.g. a variable used once)."""
        return list(self._comp.checked.warnings)

    @property
    def relations(self) -> dict[str, tuple[str, ...]]:
        """Every stored relation's column types."""
        return {r.name: r.types for r in self._comp.lowered.relations}

    def __repr__(self) -> str:
        outputs = ", ".join(self._comp.module.outputs)
        return f"<nsl.Program {self._file()!r}: {len(self.relations)} relations, outputs: {outputs or 'none'}>"

    def _file(self) -> str:
        return getattr(self.ast, "file", None) or "<input>"

    def run(self, facts: Mapping[str, Any] | None = None, provenance: str | None = None,
            queries: Iterable[str] | str = (), max_iterations: int | None = None,
            progress=None) -> "Result":
        """Evaluate the program.

        ``facts`` maps a relation name to rows (a list or tuple of rows, each a tuple or
        list — ``list(array_2d)`` included), to a path of a ``.csv``/``.tsv``/``.jsonl``
        file (another extension is an error), to columns (a dict keyed by the declared
        column names or by position ``0..k-1``, each a list, 1-D tensor or array: the only
        form read as columns), or to a 2-D tensor or array of rows (shape ``(n, 0)`` for a
        nullary relation: n facts). Values must have their column's type (an int column
        takes ints, numpy integers and integer tensors, never floats or bools; a float
        column ints and finite floats, a ``-0.0`` read as ``0.0``; a bool column bools; a
        str column strings of Unicode characters, a lone surrogate being an error): any
        other value is a :class:`CompileError` naming the relation, row and column. ``queries``
        names extra relations to report besides the program's own outputs (one name may be
        given as a str). A wrong argument (an unknown relation, facts for a derived one, an
        unknown provenance) raises :class:`nsl.UsageError`.
        ``max_iterations`` bounds the semi-naive iterations of each recursive
        stratum that still derive new facts (None: no bound); a stratum that
        needs more is an error pointing at a rule that kept deriving.
        ``progress``, if given, is called with a ``nsl.runtime.StratumProgress``
        as each stratum starts, after its iterations and when it is done: after each
        iteration in the torch loop, after chunks of iterations (about every 0.2 s) when
        the stratum runs as one native kernel.
        """
        from nsl.lang import ast as A
        from nsl.lang.check.declarations import PROVENANCES
        from nsl.lang.check.features import unavailable
        from nsl.runtime import execute
        from nsl.runtime.provenance import make_provenance

        problems = unavailable(self._comp.ast, self._comp.checked.symbols)
        if provenance is not None:  # it overrides the file's @provenance, runnable or not
            pragmas = {d.span for d in self._comp.ast.statements
                       if isinstance(d, A.Directive) and d.name == "provenance"}
            problems = [p for p in problems if p.span not in pragmas]
        name = provenance or self._comp.checked.provenance[0]
        if provenance is not None and not isinstance(provenance, str):
            raise UsageError(f"provenance must be a name (a str), not {provenance!r}")
        if provenance is not None and provenance not in PROVENANCES:
            raise UsageError(f"unknown provenance '{provenance}' (known: {', '.join(PROVENANCES)})")
        if provenance is not None and provenance != "bool":
            problems.append(error(f"provenance '{provenance}' cannot run yet in this version of nslc "
                                  "(available: bool)", None))
        if problems:
            raise CompileError(problems, self.sources)
        if max_iterations is not None and (not isinstance(max_iterations, int) or
                                           isinstance(max_iterations, bool) or max_iterations < 1):
            raise UsageError(f"max_iterations must be a positive integer, not {max_iterations!r}")
        if facts is not None and not isinstance(facts, Mapping):
            raise UsageError("facts must be a dict from relation names to their facts, not "
                             f"{type(facts).__name__}")
        module = self._module_with_outputs(_query_names(queries))
        inputs = self._inputs(dict(facts or {}), module)
        indexes = self._indexes(module)
        try:
            db = execute(module, inputs=inputs, indexes=indexes, max_iterations=max_iterations,
                         progress=progress,
                         provenance=make_provenance(provenance) if provenance is not None else None)
        except Exception as exc:
            _reraise_runtime_error(exc, self.sources)
            raise
        result = Result(module, db, name, {r.name for r in self._comp.lowered.relations})
        result.warnings.extend(_index_warnings(module, indexes))
        from nsl.statements import run_verdict_statements
        result.verdicts.extend(run_verdict_statements(self._comp.ast, self.folder_of, self.sources))
        return result

    def _module_with_outputs(self, extra: tuple[str, ...]):
        if not extra or all(q in self._comp.module.outputs for q in extra):
            return self._comp.module
        from nsl.compiler.pipeline import run_passes
        from nsl.lang.check.symbols import suggest

        lowered = self._comp.lowered
        names = {r.name for r in lowered.relations}
        for q in extra:
            if q not in names:
                raise UsageError(f"unknown relation '{q}'" + suggest(q, names))
        outputs = lowered.outputs + tuple(q for q in extra if q not in lowered.outputs)
        if not lowered.queries:
            # with no query statement the outputs are every derived relation plus the extras
            pass
        return run_passes(replace(lowered, outputs=outputs), verify=self._verify)

    def load_data(self, files: Iterable[str] | None = None) -> None:
        """Read every input file and index the program declares, as ``run`` would, without
        running anything: a missing, unreadable or malformed one raises
        :class:`CompileError` at its declaration (``nslc check`` reports them this way).
        ``files``: only the declarations written in these source files (the REPL's new
        input). Indexes stay loaded for later runs; input files are read again by ``run``."""
        from types import SimpleNamespace

        lowered = self._comp.lowered
        wanted = None if files is None else set(files)

        def declared_here(decl) -> bool:
            return wanted is None or (decl.origin is not None and decl.origin.file in wanted)

        scope = SimpleNamespace(relations=tuple(r for r in lowered.relations if declared_here(r)),
                                indexes=tuple(d for d in lowered.indexes if declared_here(d)))
        self._inputs({}, scope)
        self._indexes(scope)

    def _indexes(self, module) -> dict:
        """Every declared index, loaded once per file version (repeated runs reuse it)."""
        if not module.indexes:
            return {}
        from nsl.runtime.knn_op import IndexLoadError, load_index

        out = {}
        for decl in module.indexes:
            path = os.path.abspath(self._resolve(decl.source, decl.origin))
            if "\0" in path:  # no file has such a name; os.stat would raise ValueError
                raise CompileError([error(f"index file '{no_nul(decl.source)}' does not exist "
                                          "(a path cannot hold a NUL character)", decl.origin)],
                                   self.sources)
            key = (path, _stamp(path), replace(decl, origin=None))
            if key not in self._index_cache:
                try:
                    index = load_index(decl, path)
                except IndexLoadError as exc:
                    raise CompileError([exc.diagnostic()], self.sources) from None
                # an older version of the same file is never asked for again: free it
                for old in [k for k in self._index_cache if (k[0], k[2]) == (key[0], key[2])]:
                    del self._index_cache[old]
                self._index_cache[key] = index
            out[decl.name] = self._index_cache[key]
        return out

    def folder_of(self, span) -> str:
        """The folder that relative paths written in ``span``'s file resolve against."""
        file = getattr(span, "file", None)
        return self._file_dirs.get(file, self.base_dir) if file is not None else self.base_dir

    def _resolve(self, path: str, origin) -> str:
        """``path`` from a declaration at ``origin``, relative to that declaration's file."""
        return path if os.path.isabs(path) else os.path.join(self.folder_of(origin), path)

    def _inputs(self, facts: dict, module) -> dict:
        from nsl.lang.check.symbols import suggest

        schemas = {r.name: r for r in self._comp.lowered.relations}
        inputs: dict = {}
        for rel in module.relations:
            if rel.kind == "input" and rel.source and rel.name not in facts:
                path = self._resolve(rel.source, rel.origin)
                inputs[rel.name] = load_file(path, rel.types, rel.origin, self.sources,
                                              self._domains(rel.name), self._names(rel.name))
        for name, value in facts.items():
            if not isinstance(name, str):
                raise UsageError(f"facts must be keyed by relation names, not {name!r}")
            schema = schemas.get(name)
            if schema is None:
                raise UsageError(f"facts given for unknown relation '{name}'" + suggest(name, schemas))
            if schema.kind == "idb":
                raise UsageError(f"relation '{name}' is derived by rules; facts can be given only for "
                                 "input relations and relations without rules")
            if not any(r.name == name for r in module.relations):
                continue  # no output depends on it
            domains, names = self._domains(name), self._names(name)
            if isinstance(value, (str, os.PathLike)):
                value = load_file(os.fspath(value), schema.types, None, self.sources, domains, names)
            else:
                value = given_facts(name, value, schema.types, names, domains, self.sources)
            inputs[name] = value
        return inputs

    def _names(self, rel: str) -> tuple[str, ...]:
        """The declared column names of ``rel``; ``()`` when it was not declared, so its columns
        have none (a nullary relation has none either)."""
        info = self._comp.checked.symbols.relations.get(rel)
        if info is None or info.decl is None:
            return ()
        return tuple(p.name for p in info.decl.params or ())

    def _domains(self, rel: str) -> list | None:
        """The runtime's :class:`Domain` of each column of ``rel`` declared with a range or
        enum type (None where there is none), or None when no column has one."""
        from nsl.lang import ast as A
        from nsl.lang.check.types import column_domains, domain_text
        from nsl.runtime.io import Domain

        found = column_domains(rel, self._comp.checked.symbols)
        if not any(found):
            return None
        return [None if f is None else
                Domain(domain_text(*f), f[1].lo, f[1].hi) if isinstance(f[1], A.RangeType) else
                Domain(domain_text(*f), values=f[1].values) for f in found]


def _query_names(queries) -> tuple[str, ...]:
    """``queries`` as a tuple of names: a str is one name (not its letters), None is none."""
    if queries is None:
        return ()
    if isinstance(queries, str):
        return (queries,)
    try:
        names = tuple(queries)
    except TypeError:
        raise UsageError("queries must be relation names (a list of str), not "
                         f"{type(queries).__name__} {queries!r}") from None
    for q in names:
        if not isinstance(q, str):
            raise UsageError(f"queries must be relation names (str), not {type(q).__name__} {q!r}")
    return names


def _stamp(path: str) -> tuple:
    """What changes when an index file (or any file of an index directory) changes."""
    try:
        names = sorted(os.listdir(path)) if os.path.isdir(path) else [""]
        stats = [os.stat(os.path.join(path, n) if n else path) for n in names]
    except OSError:
        return ()
    return tuple((n, st.st_mtime_ns, st.st_size) for n, st in zip(names, stats))


def _reraise_runtime_error(exc: Exception, sources) -> None:
    from nsl.runtime.errors import NslRuntimeError

    if isinstance(exc, NslRuntimeError):
        diagnostic = exc.diagnostic() if hasattr(exc, "diagnostic") else error(str(exc), None)
        raise CompileError([diagnostic], sources) from None


def _index_warnings(module, indexes: dict) -> list:
    """A warning at each index declaration whose log ends in a record that was
    skipped (torn or failing its checksum): the rows it held are not searched."""
    from nsl.lang.diagnostics import Diagnostic

    out = []
    for decl in module.indexes:
        damage = getattr(indexes.get(decl.name), "log_damage", None)
        if damage is None:
            continue
        out.append(Diagnostic(
            "warning", f"index '{decl.name}': the last record of its write-ahead log "
            f"({damage['bytes']} bytes from byte {damage['offset']}) is incomplete or fails its "
            "checksum and was skipped (a crash mid-append, or an append still in progress, "
            "leaves such a record; it was never acknowledged; the next `nslc index add` cuts it)",
            decl.origin))
    return out

