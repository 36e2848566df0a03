"""Types of IR values and expressions, for the verifier (see ``verify.py``).

A binding environment maps each bound variable to its type, or to ``None``
while the type is not known yet (a neural output or a knn id: the IR does not
record them, so the first use fixes the type and later uses must agree).
"""
from __future__ import annotations

import re
from typing import Callable

from nsl.compiler import ir
from nsl.compiler.ir_printer import format_expr, format_value
from nsl.lang.walk import run_recursive

NUMERIC_TYPES = ("int", "float")
_TENSOR_TYPE = re.compile(r"tensor\[[A-Za-z0-9_,?]*\]\Z")

Env = dict  # variable name -> IR type, or None while unknown


def is_valid_type(type_) -> bool:
    return isinstance(type_, str) and (type_ in ir.SCALAR_TYPES or bool(_TENSOR_TYPE.match(type_)))


def is_tensor_type(type_) -> bool:
    return isinstance(type_, str) and bool(_TENSOR_TYPE.match(type_))


INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1


def value_has_type(value, type_: str) -> bool:
    """Whether a literal fits a column: bools are not ints, ints may stand for floats,
    and an int column holds 64-bit ints."""
    if isinstance(value, bool):
        return type_ == "bool"
    if isinstance(value, int):
        return type_ == "float" or (type_ == "int" and INT_MIN <= value <= INT_MAX)
    if isinstance(value, float):
        return type_ == "float"
    if isinstance(value, str):
        return type_ == "str"
    return False


def out_of_range(value, type_: str) -> str:
    """`` (outside the 64-bit range)`` when that is why ``value`` is not of ``type_``, else ``""``."""
    in_range = isinstance(value, bool) or not isinstance(value, int) or INT_MIN <= value <= INT_MAX
    return "" if in_range or type_ != "int" else " (outside the 64-bit range)"


def describe_value(value) -> str:
    try:
        return format_value(value)
    except TypeError:
        return repr(value)


def _numeric_result(left: str, right: str) -> str:
    return "float" if "float" in (left, right) else "int"


class ExprChecker:
    """Type-checks expressions against an environment, reporting through ``report(message)``."""

    def __init__(self, env: Env, report: Callable[[str], None]):
        self.env = env
        self.report = report

    def check(self, expr) -> str | None:
        """The annotated type of ``expr`` after checking it (None for a non-expression)."""
        # Run by the trampoline, not recursion: an expression nests as deep as it is long.
        return run_recursive(self._check(expr))

    def _check(self, expr):
        """``check`` as a generator: ``yield self._check(sub)`` stands for the recursive call."""
        if isinstance(expr, ir.ColRef):
            return self.colref(expr)
        if isinstance(expr, ir.Lit):
            self.type_name(expr.type, expr)
            if not value_has_type(expr.value, expr.type):
                self.report(f"literal {describe_value(expr.value)} does not have type {expr.type}"
                            + out_of_range(expr.value, expr.type))
            return expr.type
        if isinstance(expr, ir.BinExpr):
            left = yield self._check(expr.left)
            right = yield self._check(expr.right)
            self.expect(expr, self.binary_type(expr, left, right))
            return expr.type
        if isinstance(expr, ir.UnExpr):
            operand = yield self._check(expr.operand)
            if expr.op not in ir.UNARY_OPS:
                self.report(f"unknown unary operator {expr.op!r} in {format_expr(expr)}")
            elif operand is not None and operand not in NUMERIC_TYPES:
                self.report(f"{expr.op} needs a number, not {operand}, in {format_expr(expr)}")
            else:
                self.expect(expr, operand)
            return expr.type
        self.report(f"not an expression: {expr!r}")
        return None

    def colref(self, ref: ir.ColRef) -> str:
        self.type_name(ref.type, ref)
        if ref.name not in self.env:
            self.report(f"variable {ref.name} is used before it is bound")
            self.env[ref.name] = ref.type  # report it once, not at every later use
        elif self.env[ref.name] is None:
            self.env[ref.name] = ref.type
        elif self.env[ref.name] != ref.type:
            self.report(f"variable {ref.name} has type {self.env[ref.name]} "
                        f"but is used as {ref.type}")
        return ref.type

    def type_name(self, type_, node) -> None:
        if not is_valid_type(type_):
            self.report(f"unknown type {type_!r} in {format_expr(node)}")

    def binary_type(self, expr: ir.BinExpr, left, right) -> str | None:
        """The type ``expr`` must have given its operand types; None after reporting."""
        # The text form only where a report needs it: formatting every node of a deep
        # expression would cost time quadratic in its depth.
        both_numeric = left in NUMERIC_TYPES and right in NUMERIC_TYPES
        if expr.op in ir.CMP_OPS:
            ordered = expr.op not in ("eq", "ne")
            if not (both_numeric or (left == right and left in ir.SCALAR_TYPES)):
                self.report(f"{expr.op} compares {left} with {right} in {format_expr(expr)}")
            elif ordered and left == "bool":
                self.report(f"{expr.op} does not order bools in {format_expr(expr)}")
            return "bool"
        if expr.op == "concat":
            if (left, right) != ("str", "str"):
                self.report(f"concat needs two strs, not {left} and {right}, "
                            f"in {format_expr(expr)}")
                return None
            return "str"
        if expr.op in ("min", "max") and left == right == "str":
            return "str"
        if expr.op in ir.ARITH_OPS:
            if not both_numeric:
                self.report(f"{expr.op} needs numbers, not {left} and {right}, "
                            f"in {format_expr(expr)}")
                return None
            return _numeric_result(left, right)
        self.report(f"unknown binary operator {expr.op!r} in {format_expr(expr)}")
        return None

    def expect(self, expr, computed: str | None) -> None:
        if computed is not None and computed != expr.type:
            self.report(f"expression {format_expr(expr)} has type {computed} "
                        f"but is annotated {expr.type}")
