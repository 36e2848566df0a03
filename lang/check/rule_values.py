"""Values a rule computes that the checker can work out must fit the head column's type.

A head argument of a column declared with a range or enum type (``type Digit =
0..9``) that folds to a constant -- an expression of constants (``v(5 + 7)``),
or of variables the body fixes with ``x = 12`` -- is a value every derivation
of the rule would give, so one outside the type is a compile error at the
argument. (A bare constant is the ``facts`` check's; the values only a run
knows are checked by the runtime, at the same argument.)
"""
from __future__ import annotations

import math

from nsl.lang import ast as A
from nsl.lang.check.facts import constant_value
from nsl.lang.check.symbols import SymbolTable
from nsl.lang.check.types import column_domains, const_type, domain_base, domain_text, in_domain
from nsl.lang.constant_arith import binary, in_int64
from nsl.lang.diagnostics import Diagnostic, error
from nsl.lang.formatter_values import format_value
from nsl.lang.walk import run_recursive

_UNKNOWN = object()


def check_rule_values(program: A.Program, table: SymbolTable, diags: list[Diagnostic]) -> None:
    """Report each head argument that folds to a value outside its column's declared type."""
    for stmt in program.statements:
        if not isinstance(stmt, A.Rule) or stmt.body is None:
            continue
        domains = column_domains(stmt.head.rel, table)
        if len(domains) != len(stmt.head.args) or not any(domains):
            continue
        reported: set[int] = set()
        alternatives = stmt.body.alternatives
        for i, conj in enumerate(alternatives):
            where = f" in alternative {i + 1} of the body" if len(alternatives) > 1 else ""
            fixed = _fixed_values(conj)
            for k, (arg, found) in enumerate(zip(stmt.head.args, domains)):
                if found is None or k in reported or constant_value(arg) is not None:
                    continue
                value = _fold(arg, fixed)
                name, domain = found
                if value is _UNKNOWN or not _same_kind(value, domain_base(domain)):
                    continue
                if not in_domain(value, domain):
                    reported.add(k)
                    diags.append(error(f"this argument can only be {format_value(value)}{where}, which "
                                       f"is not a value of type {domain_text(name, domain)}", arg.span))


def _same_kind(value, base) -> bool:
    kind = const_type(value)
    return kind == base or (kind, base) == ("int", "float")


def _fixed_values(conj) -> dict:
    """Variables that ``x = e`` (or ``x == e``) gives one constant value in every derivation."""
    fixed: dict = {}
    changed = True
    while changed:
        changed = False
        for lit in conj:
            if not (isinstance(lit, A.Comparison) and lit.op in ("=", "==")):
                continue
            for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
                if isinstance(target, A.Var) and target.name not in fixed:
                    value = _fold(source, fixed)
                    if value is not _UNKNOWN:
                        fixed[target.name] = value
                        changed = True
    return fixed


def _fold(e, fixed):
    """The constant value of ``e`` (arithmetic as the runtime does it), or ``_UNKNOWN``."""
    return run_recursive(_folded(e, fixed))


def _folded(e, fixed):
    # a generator run by run_recursive: `yield` stands for a recursive call, so that an
    # expression as deep as it is long (`1 + 1 + ...`) needs no deep Python stack
    if isinstance(e, A.Const):
        return e.value
    if isinstance(e, A.Var):
        return fixed.get(e.name, _UNKNOWN)
    if isinstance(e, A.Neg):
        v = yield _folded(e.operand, fixed)
        return _number(-v) if _is_number(v) else _UNKNOWN
    if isinstance(e, A.Call) and e.func in ("abs", "min", "max") and e.args:
        vs = []
        for a in e.args:
            vs.append((yield _folded(a, fixed)))
        if not all(_is_number(v) for v in vs) or (e.func == "abs") != (len(vs) == 1):
            return _UNKNOWN
        return _number(abs(vs[0]) if e.func == "abs" else (min if e.func == "min" else max)(vs))
    if isinstance(e, A.BinOp):
        left = yield _folded(e.left, fixed)
        right = yield _folded(e.right, fixed)
        if e.op == "++":
            return left + right if isinstance(left, str) and isinstance(right, str) else _UNKNOWN
        if not (_is_number(left) and _is_number(right)):
            return _UNKNOWN
        return _number(binary(e.op, left, right))
    return _UNKNOWN


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _number(v):
    """``v``, or ``_UNKNOWN`` where the run gives no one value (None), would wrap an int, or
    overflows a float."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)) or \
            (isinstance(v, int) and not in_int64(v)):
        return _UNKNOWN
    return v
