"""``nslc repl``: the terminal front of :class:`nsl.repl_session.ReplSession`.

On a terminal it is a prompt_toolkit prompt (history in ``~/.nsl_history``,
highlighting, completion of relations and commands) where Enter submits only
once the parser finds the input complete, as in Preql's REPL. When standard
input is not a terminal (a pipe, a test), statements are read line by line
with the same completeness rule and only the outputs are printed.

prompt_toolkit is imported inside ``run_repl``, so ``import nsl`` stays light.
"""
from __future__ import annotations

import os
import re
import sys
from typing import Iterable, TextIO

from nsl.repl_lex import KEYWORDS, is_complete, tokenize
from nsl.repl_session import COMMANDS, ReplSession

HISTORY_FILE = "~/.nsl_history"
PROMPT = "nsl> "
CONTINUATION = "...  "

# Token kinds from repl_lex.tokenize → prompt_toolkit style classes.
STYLES = {
    "comment": "italic #808080",
    "string": "#2e8b57",
    "number": "#b5651d",
    "directive": "#b000b0",
    "keyword": "bold #1e64c8",
    "type": "#008b8b",
    "builtin": "#8a2be2",
    "relation": "bold",
    "operator": "#b000b0",
    "prompt": "bold #1e64c8",
}


def run_repl(path: str | None = None) -> int:
    """Run the REPL, first loading ``path`` if given. Returns the exit status:
    0, or 1 when reading from a pipe and some input was rejected."""
    session = ReplSession()
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if interactive:
        from nsl import __version__

        print(f"NSL {__version__} — statements are added as you type them; :help for commands, "
              "Ctrl-D to quit")
    if path:
        _print(sys.stdout, session.feed(":load " + path))
    if interactive:
        return run_interactive(session)
    return run_piped(session, sys.stdin, sys.stdout)


def run_piped(session: ReplSession, lines: Iterable[str], out: TextIO) -> int:
    """Feed ``lines`` to ``session`` one complete input at a time, printing each output."""
    pending = ""
    for line in lines:
        pending += line
        if is_complete(pending):
            _print(out, session.feed(pending))
            pending = ""
            if session.finished:
                break
    if pending.strip():  # input ended mid-statement: say so, as the parser words it
        _print(out, session.feed(pending))
    return 1 if session.errors else 0


def _print(out: TextIO, text: str) -> None:
    if text:
        out.write(text + "\n")
        out.flush()


def run_interactive(session: ReplSession) -> int:
    """The prompt_toolkit loop; Ctrl-C drops the current input, Ctrl-D or :quit leaves."""
    prompt = _make_prompt(session)
    while not session.finished:
        try:
            text = prompt.prompt([("class:prompt", PROMPT)])
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        try:
            output = session.feed(text)
        except KeyboardInterrupt:  # a long run; the session is as it was before this input
            output = "interrupted"
        _print(sys.stdout, output)
    return 0


def _make_prompt(session: ReplSession):
    from prompt_toolkit import PromptSession
    from prompt_toolkit.styles import Style

    return PromptSession(
        history=_history(),
        lexer=_make_lexer(session),
        completer=_make_completer(session),
        style=Style.from_dict({f"nsl.{k}" if k != "prompt" else k: v for k, v in STYLES.items()}),
        multiline=True,
        key_bindings=_key_bindings(),
        prompt_continuation=lambda width, line_number, wrap_count: CONTINUATION.rjust(width),
        complete_while_typing=False,  # Tab completes; a menu popping up over every name distracts
        enable_history_search=False,
    )


def _history():
    """``~/.nsl_history``, or an in-memory history when that file cannot be written."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    path = os.path.expanduser(HISTORY_FILE)
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError:
        return InMemoryHistory()
    return FileHistory(path)


def _key_bindings():
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("enter")
    def _submit_or_continue(event):
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:
            buffer.apply_completion(state.current_completion)
        elif is_complete(buffer.text):
            buffer.validate_and_handle()
        else:  # the parser says the statement goes on: keep reading
            buffer.insert_text("\n")

    @bindings.add("escape", "enter")
    def _submit_as_is(event):  # see the parser's complaint about an input that looks unfinished
        event.current_buffer.validate_and_handle()

    return bindings


def _make_lexer(session: ReplSession):
    from prompt_toolkit.lexers import Lexer

    class NslLexer(Lexer):
        """Highlights with repl_lex.tokenize; relations known to the session count as relations."""

        def lex_document(self, document):
            relations = frozenset(session.relation_names())
            lines: list[list[tuple[str, str]]] = [[]]
            # Tokenize the whole text at once, so a /* block comment */ spanning lines stays one token.
            for token in tokenize(document.text, relations):
                style = f"class:nsl.{token.kind}" if token.kind in STYLES else ""
                for i, part in enumerate(token.text.split("\n")):
                    if i:
                        lines.append([])
                    if part:
                        lines[-1].append((style, part))
            return lambda lineno: lines[lineno] if lineno < len(lines) else []

    return NslLexer()


_WORD_BEFORE_CURSOR = re.compile(r"(?::|\b)[A-Za-z_]\w*$|:$")


def _make_completer(session: ReplSession):
    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document

    paths = PathCompleter(expanduser=True)

    class NslCompleter(Completer):
        """Commands at the start of the input, a path after :load, else relation names and keywords."""

        def get_completions(self, document, complete_event):
            before = document.text_before_cursor
            if before.lstrip().startswith(":load "):
                arg = before.lstrip()[len(":load "):].lstrip()
                yield from paths.get_completions(Document(arg, len(arg)), complete_event)
                return
            match = _WORD_BEFORE_CURSOR.search(before)
            word = match.group() if match else ""
            if word.startswith(":"):
                candidates = COMMANDS if before.strip() == word else ()
            else:
                candidates = [*session.relation_names(), *sorted(KEYWORDS)]
            for candidate in dict.fromkeys(candidates):
                if candidate.startswith(word) and candidate != word:
                    yield Completion(candidate, start_position=-len(word))

    return NslCompleter()
