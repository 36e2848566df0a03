"""Statements that answer with a verdict rather than facts (``check_ir`` today).

They run after the rules, in source order, and each adds one verdict object
to the result (the ``verdicts`` list of ``nslc run --json``).
"""
from __future__ import annotations

import os

from nsl.lang import ast as A
from nsl.lang.diagnostics import CompileError, UsageError, error


def run_verdict_statements(program: A.Program, base_dir: str, sources) -> list[dict]:
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


def _check_ir(stmt: A.CheckIrStmt, base_dir: str, sources) -> dict:
    from nsl.compiler.check_ir.api import check_ir

    opts = {o.name: _option_value(o.value) for o in stmt.options}
    for key in ("reference", "candidate"):
        if key in opts and not os.path.isabs(opts[key]):
            opts[key] = os.path.join(base_dir, opts[key])
    for key in ("reference", "candidate"):
        if key in opts and not os.path.exists(opts[key]):
            span = next(o.value.span for o in stmt.options if o.name == key)
            raise CompileError([error(f"no such file: {opts[key]}", span)], sources)
    try:
        result = check_ir(opts["reference"], opts.get("candidate"), opts.get("function"),
                          **{k: opts[k] for k in ("mode", "unroll", "samples", "timeout") if k in opts})
    except UsageError as exc:
        raise CompileError([error(str(exc), stmt.span)], sources) from None
    verdict = {"kind": "check_ir", "name": stmt.name, "status": result.verdict}
    verdict.update({k: v for k, v in result.to_json().items() if k != "verdict"})
    return verdict
