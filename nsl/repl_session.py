"""The REPL's session logic, free of any terminal UI so tests can drive it.

A session is the list of inputs accepted so far. Every input is checked by
re-compiling the whole session with it, so the session never holds a program
that ``nslc run`` would reject or refuse to run (a construct that cannot run
yet, a ``from`` file or index that does not load); an input that fails is
reported (carets and all) and dropped, leaving the session as it was. A file
loaded again replaces its earlier statements in place.

Queries (``query p(x).`` or ``p(x)?``) run against the session and print their
facts; they are never kept, so each one prints only what it asked for.
"""
from __future__ import annotations

import copy
import os

from nsl.lang import ast as A
from nsl.lang.diagnostics import CompileError, SourceMap, Span, UsageError, error
from nsl.repl_inputs import Chunk, FactKinds, make_chunk, plain_fact, with_declare_hints
from nsl.repl_lex import INPUT_FILE, question_mark

COMMAND_HELP = {
    ":help": "show this help",
    ":load FILE": "add the statements of an .nsl file (its queries run once)",
    ":rels": "list the relations with their arity and column types",
    ":ir": "print the optimised IR of the current program",
    ":run": "run the program and print every derived relation",
    ":show": "print the statements added so far",
    ":reset": "forget every statement",
    ":quit": "leave (also :q or Ctrl-D)",
}
COMMANDS = tuple(c.split()[0] for c in COMMAND_HELP) + (":q",)

HELP = "\n".join(
    ["Type statements (facts, rules, declarations) to add them to the program;",
     "`query path(1, x).` or `path(1, x)?` runs the program and prints the matching facts.",
     "A statement continues on the next line until it is complete (Meta-Enter submits as is).",
     "A rule may only use relations defined so far: for rules that use each other, enter them",
     "in one input, or declare a relation first (`rel even(a: int, b: int)`) and define it later.",
     ""] + [f"  {cmd:<12} {text}" for cmd, text in COMMAND_HELP.items()])


class ReplSession:
    """The program built up in a REPL: ``feed`` one input, get the text to print."""

    def __init__(self, base_dir: str | None = None):
        self._chunks: list[Chunk] = []
        self._sources = SourceMap()   # every accepted chunk's text, for rendering carets
        self._program = None          # the compiled session, or None until next needed
        self._accepted = 0            # numbers the `<repl:N>` labels of stored inputs
        # Relative `from "x.csv"` paths resolve against the folder of the file they were written
        # in, as in `nslc run`: typed inputs against base_dir, a `:load`ed file against its own.
        self.base_dir = base_dir or os.getcwd()
        self._file_dirs: dict[str, str] = {}  # a loaded file's label -> its folder
        # Indexes outlive the per-input Programs: keyed by path and file version, as in Program.
        self._index_cache: dict = {}
        self._fact_kinds = FactKinds()  # what checking a fact input needs of the session
        self.errors = 0               # inputs that were rejected or failed to run
        self.finished = False         # set by :quit

    # ---- the one entry point ------------------------------------------------

    def feed(self, text: str) -> str:
        """Handle one complete input (statements, a query or a `:command`); never raises
        for anything a user can type. Returns the text to show, without a final newline."""
        if not text.strip():
            return ""
        try:
            if text.strip().startswith(":"):
                return self._command(text.strip())
            return self._add(text, INPUT_FILE)
        except CompileError as exc:
            self.errors += 1
            return exc.render()
        except UsageError as exc:
            self.errors += 1
            return f"error: {exc}"
        except Exception as exc:  # a bug in nslc must not end the session
            self.errors += 1
            return f"internal error: {type(exc).__name__}: {exc} (please report this)"

    def relation_names(self) -> list[str]:
        """Relations declared or defined so far (for completion and highlighting)."""
        try:
            return sorted(self._current().relations)
        except Exception:  # completion must work even while the engine is broken
            return []

    def load(self, path: str) -> str:
        """``:load``: add a file's statements and run its queries."""
        from nsl.lang.loader import read_source

        path = os.path.expanduser(path)  # the completer offers `~/` paths
        text = read_source(path)
        previous = self._file_dirs.get(path)
        self._file_dirs[path] = os.path.dirname(os.path.abspath(path))
        try:
            return self._add(text, path)
        except BaseException:
            if previous is None:
                del self._file_dirs[path]
            else:
                self._file_dirs[path] = previous
            raise

    # ---- adding statements ----------------------------------------------------

    def _add(self, text: str, label: str) -> str:
        """Check ``text`` with the session, keep its statements and run its queries. On an
        error or a Ctrl-C (even during its queries) the session is left as it was."""
        saved = (list(self._chunks), self._accepted, self._program)
        replaced = self._loaded(label)
        try:
            return self._add_checked(text, label, replaced)
        except BaseException as exc:
            self._chunks, self._accepted, self._program = saved
            if replaced is not None:
                # This error's carets show the new text of the file, the kept statements' the old.
                if isinstance(exc, CompileError):
                    exc.sources = copy.deepcopy(self._sources)
                self._sources.add(replaced.label, replaced.text)
            raise

    def _loaded(self, label: str) -> Chunk | None:
        """The chunk of the file ``label`` names when it was loaded before (a reload replaces it)."""
        if label == INPUT_FILE:
            return None
        path = os.path.abspath(label)
        return next((c for c in self._chunks if c.path == path), None)

    def _add_checked(self, text: str, label: str, replaced: Chunk | None) -> str:
        statements = _parse_input(text, label, self._sources)
        path = None if label == INPUT_FILE else os.path.abspath(label)
        # A reloaded file keeps its place: inputs typed after it may use what it declares.
        at = self._chunks.index(replaced) if replaced is not None else len(self._chunks)
        before, after = self._chunks[:at], self._chunks[at + 1:]
        shown = _without_queries(text, statements, label)
        try:
            if replaced is None and all(plain_fact(s) for s in statements):
                # Typing (or piping) facts one by one must not re-check every fact typed before:
                # check them with a fact of each kind the session holds, compile at the next query.
                program, checked = None, self._check(self._fact_kinds.of(before) + statements)
            else:
                program, checked = self._compile(
                    _statements([*before, Chunk(label, text, statements, path, shown), *after]))
                self._refuse_unrunnable(program, checked, label)
        except CompileError as exc:
            raise with_declare_hints(exc, statements, label) from None
        # The whole session is re-checked each time: show only the warnings about this input.
        out = [w.render(self._sources) for w in checked.warnings
               if w.span is not None and w.span.file == label]
        has_queries = any(isinstance(s, A.Query) for s in statements)
        kept = tuple(s for s in statements if not isinstance(s, A.Query))
        if label == INPUT_FILE and kept:
            # re-label it, so messages about it can be told from messages about the next input
            self._accepted += 1
            label = f"<repl:{self._accepted}>"
            kept = tuple(s for s in _parse_input(text, label, self._sources) if not isinstance(s, A.Query))
        self._chunks = [*before, *([make_chunk(label, text, kept, path, shown)] if kept else []), *after]
        # The program just compiled is the session only without queries and under the same
        # labels (a typed input was re-labeled above); else the next use compiles it again.
        self._program = program if path is not None and not has_queries else None
        if has_queries:
            out.append(self._run(program))
        return "\n".join(o for o in out if o)

    def _refuse_unrunnable(self, program, checked, label: str) -> None:
        """Refuse at entry what `nslc run` would refuse before running (a construct this
        version cannot run, a missing `from` file, an index that does not load): kept, it
        would make every later query fail until `:reset`."""
        from nsl.lang.check.features import unavailable

        problems = unavailable(program.ast, checked.symbols)  # the session holds none: all are new
        if problems:
            raise CompileError(problems, self._sources)
        # Load only what this input declares (the session's own files loaded when they came in);
        # an index stays in the session's cache for the queries to come.
        program.load_data(files=[label])

    def _statements(self) -> tuple:
        """Every stored statement."""
        return _statements(self._chunks)

    def _compile(self, statements: tuple) -> tuple:
        """The driver's pipeline from the AST on: inputs are parsed one by one, each
        under its own file name, so a diagnostic points into the input it is about.
        Returns the :class:`nsl.Program` and the checked program (its warnings and symbols)."""
        from nsl.api import Program
        from nsl.compiler.driver import Compilation
        from nsl.compiler.lower import lower
        from nsl.compiler.pipeline import run_passes
        from nsl.lang.check import check_program

        program = A.Program(statements, INPUT_FILE)
        checked = check_program(program, self._sources)
        lowered = lower(checked)
        module = run_passes(lowered)
        compilation = Compilation(self._sources, program, checked, lowered, module)
        return Program(compilation, self.base_dir, file_dirs=self._file_dirs,
                       index_cache=self._index_cache), checked

    def _check(self, statements: tuple):
        """Only the checks (a fact input's path: lowering waits for the next query)."""
        from nsl.lang.check import check_program

        return check_program(A.Program(statements, INPUT_FILE), self._sources)

    def _current(self):
        if self._program is None:
            self._program = self._compile(self._statements())[0]
        return self._program

    def _run(self, program) -> str:
        from nsl.commands import format_result

        try:
            result = program.run()
            warnings = [w.render(self._sources) for w in result.warnings]
            return "\n".join([*warnings, format_result(result).rstrip("\n")])
        except CompileError as exc:
            self.errors += 1
            return exc.render()
        except UsageError as exc:
            self.errors += 1
            return f"error: {exc}"
        except Exception as exc:  # the engine failing must not lose the statements just added
            self.errors += 1
            return f"error: the program could not run: {type(exc).__name__}: {exc}"

    # ---- commands ---------------------------------------------------------------

    def _command(self, line: str) -> str:
        name, _, arg = line.partition(" ")
        arg = arg.strip()
        if name == ":load":
            if not arg:
                raise UsageError(":load needs a file name, e.g. `:load examples/graph.nsl`")
            return self.load(arg.strip("'\""))
        if arg:
            raise UsageError(f"{name} takes no argument")
        if name in (":quit", ":q", ":exit"):
            self.finished = True
            return ""
        if name == ":help":
            return HELP
        if name == ":reset":
            self._chunks, self._sources, self._program = [], SourceMap(), None
            self._file_dirs, self._index_cache = {}, {}
            return "the session is empty"
        if name == ":rels":
            return self._describe_relations()
        if name == ":ir":
            return self._print_ir()
        if name == ":run":
            return self._run(self._current())
        if name == ":show":
            return "\n".join(f"// {c.label}\n{c.shown}" for c in self._chunks)
        from nsl.lang.check.symbols import suggest

        raise UsageError(f"unknown command '{name}'" + suggest(name, COMMANDS) + " (:help lists them)")

    def _describe_relations(self) -> str:
        relations = self._current().relations
        if not relations:
            return "no relations yet"
        return "\n".join(f"{name}/{len(types)}" + (f" ({', '.join(types)})" if types else "")
                         for name, types in sorted(relations.items()))

    def _print_ir(self) -> str:
        program = self._current()
        try:
            from nsl.compiler.ir_printer import print_module
        except ImportError as exc:
            return f"error: the IR printer is not available in this build ({exc})"
        return print_module(program.ir).rstrip("\n")


def _statements(chunks) -> tuple:
    """Every statement of ``chunks``; a standard module imported twice is spliced in once."""
    out, included = [], set()
    for chunk in chunks:
        spliced_here = set()
        for stmt in chunk.statements:
            file = stmt.span.file
            if file != chunk.label:
                if file in included:
                    continue
                spliced_here.add(file)
            out.append(stmt)
        included |= spliced_here
    return tuple(out)


def _without_queries(text: str, statements: tuple, label: str) -> str:
    """``text`` with the queries of this input (``query p(x).``, ``p(x)?``) cut out."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    for q in reversed([s for s in statements if isinstance(s, A.Query) and s.span.file == label]):
        first = starts[q.span.line - 1] + q.span.col - 1
        last = starts[q.span.end_line - 1] + q.span.end_col - 1
        text = text[:first] + text[last + 1:]
    return text.strip()


def _parse_input(text: str, label: str, sources: SourceMap) -> tuple:
    """Parse one input (imports expanded); a final ``atom?`` becomes a query.

    The ``?`` is swapped for a ``.`` so the atom parses as a fact in place,
    keeping every column where the user typed it; the fact is then made a query.
    """
    from nsl.lang.loader import load_program

    mark = question_mark(text)
    source = text if mark is None else text[:mark] + "." + text[mark + 1:]
    try:
        statements = list(load_program(source, label, sources).statements)
    finally:
        sources.add(label, text)  # carets show what was typed, `?` included
    if mark is not None:
        last = statements[-1] if statements else None
        if not (isinstance(last, A.Rule) and last.body is None and last.prob is None
                and last.span.file == label):
            line = text.count("\n", 0, mark) + 1
            col = mark - (text.rfind("\n", 0, mark) + 1) + 1
            raise CompileError([error("`?` follows one atom to ask about it, e.g. `path(1, x)?`",
                                      Span(label, line, col, line, col))], sources)
        statements[-1] = A.Query(last.head, last.span)
    return tuple(statements)
