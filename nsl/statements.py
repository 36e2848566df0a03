"""Statements that answer with a verdict rather than facts (``check_ir`` today).

They run after the rules, in source order, and each adds one verdict object
to the result (the ``verdicts`` list of ``nslc run --json``). Every answer,
``counterexample`` and ``invalid-ir`` included, is a result: a program that
checks a batch of model-written translations reports which ones fail, as
``examples/ir_checks`` does (``nslc check-ir``, a gate for scripts, exits 1
on them instead). A file that is missing or a directory is the program's
error, at the option; ``nslc check`` reports those through
:func:`statement_file_errors` without running anything.
"""
from __future__ import annotations

import os
from typing import Callable, Union

from nsl.lang import ast as A
from nsl.lang.diagnostics import CompileError, Diagnostic, UsageError, error
from nsl.lang.loader import no_nul

# the folder relative paths resolve against, or a function from a statement's span to it
# (the REPL's statements come from several files, each with its own folder)
BaseDir = Union[str, Callable[[object], str]]


def run_verdict_statements(program: A.Program, base_dir: BaseDir, sources) -> list[dict]:
    verdicts = []
    for stmt in program.statements:
        if isinstance(stmt, A.CheckIrStmt):
            verdicts.append(_check_ir(stmt, base_dir, sources))
    return verdicts


def _option_value(value):
    if isinstance(value, A.Duration):
        return value.seconds
    if isinstance(value, A.Var):
        return value.name
    return value.value


def _paths(stmt: A.CheckIrStmt, base_dir: BaseDir) -> dict:
    opts = {o.name: _option_value(o.value) for o in stmt.options}
    base = base_dir(stmt.span) if callable(base_dir) else base_dir
    for key in ("reference", "candidate"):
        if key in opts and not os.path.isabs(opts[key]):
            opts[key] = os.path.join(base, opts[key])
    return opts


def _file_errors(stmt: A.CheckIrStmt, opts: dict) -> list[Diagnostic]:
    out = []
    for key in ("reference", "candidate"):
        if key not in opts:
            continue
        span = next(o.value.span for o in stmt.options if o.name == key)
        if not os.path.exists(opts[key]):
            shown = no_nul(opts[key])
            out.append(error(f"no such file: {shown}", span))
        elif os.path.isdir(opts[key]):
            out.append(error(f"is a directory, not an .ll file: {opts[key]}", span))
    return out


def statement_file_errors(program: A.Program, base_dir: BaseDir) -> list[Diagnostic]:
    """A positioned error for every ``check_ir`` file that is missing or a directory."""
    out = []
    for stmt in program.statements:
        if isinstance(stmt, A.CheckIrStmt):
            out.extend(_file_errors(stmt, _paths(stmt, base_dir)))
    return out


def _check_ir(stmt: A.CheckIrStmt, base_dir: BaseDir, sources) -> dict:
    from nsl.compiler.check_ir.api import DEFAULT_TIMEOUT, check_ir
    from nsl.compiler.check_ir.deadline import CheckTimeout, hard_deadline, timed_out_result

    opts = _paths(stmt, base_dir)
    problems = _file_errors(stmt, opts)
    if problems:
        raise CompileError(problems, sources)
    try:
        with hard_deadline(float(opts.get("timeout", DEFAULT_TIMEOUT))) as clock:
            result = check_ir(opts["reference"], opts.get("candidate"), opts.get("function"),
                              **{k: opts[k] for k in ("mode", "unroll", "samples", "timeout")
                                 if k in opts})
    except CheckTimeout:
        result = timed_out_result(clock)
    except UsageError as exc:
        raise CompileError([error(str(exc), stmt.span)], sources) from None
    except CompileError as exc:  # unreadable file: at the statement
        raise CompileError([error(d.message + (f": {d.span.file}" if d.span else ""), stmt.span)
                            for d in exc.diagnostics], sources) from None
    verdict = {"kind": "check_ir", "name": stmt.name, "status": result.verdict}
    verdict.update({k: v for k, v in result.to_json().items() if k != "verdict"})
    return verdict
