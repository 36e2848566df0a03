"""``nslc``: a thin argparse front over the library.

Each subcommand lives in a module with ``register(subparsers)``, which adds its
parser and sets ``func`` to a ``run(args) -> int``. Exit status: 0 success,
1 program errors, 2 usage errors. No Python traceback reaches the user.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from nsl.lang.diagnostics import CompileError, UsageError

# Modules providing subcommands, imported when the parser is built (they must
# import their heavy dependencies inside ``run``, not at module level).
SUBCOMMAND_MODULES = [
    "nsl.commands",
]
OPTIONAL_SUBCOMMAND_MODULES = [
    "nsl.index_cli",
    "nsl.check_ir_cli",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2 with a one-line message
        self.print_usage(sys.stderr)
        print(f"nslc: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nslc", description="The NSL compiler and runtime.")
    parser.add_argument("--version", action="version", version="nslc " + _version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    for name in OPTIONAL_SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def _version() -> str:
    from nsl import __version__
    return __version__


def _silence_stdout() -> None:
    """After the reader of stdout went away (`nslc ... | head`): point stdout at
    /dev/null so the interpreter's final flush does not report the closed pipe."""
    import os
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests capture it)
        pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except CompileError as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"nslc: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nslc: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except Exception as exc:  # a bug in nslc: say so in one line, never a traceback
        import os
        if getattr(exc, "user_error", False):  # e.g. a bad NSL_* setting met deep inside
            print(f"nslc: error: {exc}", file=sys.stderr)
            return 2
        if os.environ.get("NSL_TRACEBACK"):
            raise
        print(f"nslc: internal error: {type(exc).__name__}: {exc} "
              "(set NSL_TRACEBACK=1 for details; please report this)", file=sys.stderr)
        return 3
