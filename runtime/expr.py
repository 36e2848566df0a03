"""Vectorized evaluation of ``ir.Expr`` over the columns of a binding table.

``evaluate`` returns ``(values, valid)``: one value per row, and a bool mask of
the rows whose evaluation is defined (None: all) — a row that divides by zero,
or whose float arithmetic leaves the finite numbers (overflow to ±inf, or NaN as
``inf - inf`` and ``(-8.0) ** 0.5`` give), is dropped by the operator that asked:
every float a rule derives is finite, as every float an input holds. Integers are int64 and wrap; ``div``
truncates toward zero and ``mod`` is its remainder (C semantics); comparisons
give torch.bool; strings are interned ids and are ordered lexicographically
through ``Interner.ranks``.
"""
from __future__ import annotations

import operator

import torch

from nsl.compiler import ir

_CMP = {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le,
        "gt": torch.gt, "ge": torch.ge}


def literal_value(lit: ir.Lit, interner):
    """The column representation of a literal: int, float, or an interned string id."""
    if lit.type == "str":
        return interner.intern(lit.value)
    if lit.type == "float":
        return float(lit.value)
    return int(lit.value)  # int and bool (0/1)


def to_column(values: torch.Tensor, ty: str) -> torch.Tensor:
    """Canonical storage dtype for a value of IR type ``ty``."""
    if ty == "float":
        return values if values.dtype == torch.float64 else values.to(torch.float64)
    if ty.startswith("tensor"):
        return values
    return values if values.dtype == torch.int64 else values.to(torch.int64)


def evaluate(expr, table, interner):
    """``(values, valid)`` of ``expr`` for every row of ``table``."""
    return compile_expr(expr, interner)(table)


def compile_expr(expr, interner):
    """``fn(table) -> (values, valid)``, what ``evaluate`` computes: the tree walk, the type
    dispatch and the literal conversions happen once here, not on every call (the executor
    keeps one per operator for the whole fixpoint)."""
    # A closure per node calls its operands' closures, one Python frame or two per level;
    # an expression as deep as it is long (`y + 1 + 1 + ...`) instead becomes a list of
    # steps, one per operator node in the order the closures would have run them, each
    # reading its operands' results from the steps before it.
    steps = [] if _height(expr) > _NESTED_CLOSURES else None
    f = _run_recursive(_compile(expr, interner, steps))
    f = _as_column(f, expr) if isinstance(expr, ir.Lit) else f
    return f if not steps else _stepwise(steps, f)


_NESTED_CLOSURES = 64  # levels evaluated by nested calls; deeper expressions go step by step


def _height(expr) -> int:
    """The number of levels of ``expr`` (a column or literal: 1), without recursion."""
    height, stack = 0, [(expr, 1)]
    while stack:
        e, level = stack.pop()
        height = max(height, level)
        if isinstance(e, ir.BinExpr):
            stack += ((e.left, level + 1), (e.right, level + 1))
        elif isinstance(e, ir.UnExpr):
            stack.append((e.operand, level + 1))
    return height


def _run_recursive(call):
    """The result of a recursive generator (``yield sub_generator`` stands for a recursive
    call and gives its result), with the pending calls on a list, not the Python stack."""
    stack, value = [call], None
    while True:
        try:
            sub = stack[-1].send(value)
        except StopIteration as done:
            stack.pop()
            if not stack:
                return done.value
            value = done.value
        else:
            stack.append(sub)
            value = None


class _Steps:
    """The binding table as an operator node's closure sees it (``cols`` and ``n``), with the
    results of the steps computed so far."""

    __slots__ = ("cols", "n", "results", "table")

    def __init__(self, table):
        self.cols, self.n, self.table, self.results = table.cols, table.n, table, []

    def __getattr__(self, name):
        return getattr(self.table, name)


def _stepwise(steps, last):
    def run(t):
        view = _Steps(t)
        for step in steps:
            view.results.append(step(view))
        return last(view)
    return run


def _result_of(i):
    """Reads step ``i``'s result, once: each node has one parent, and a deep expression's
    intermediate columns are freed as soon as they are used."""
    def read(view):
        value, view.results[i] = view.results[i], None
        return value
    return read


# Inside a compiled expression a literal stays a Python scalar: ``n < 2000`` and ``n + 1``
# are one torch call each instead of two (a column of 2000s first); ``_as_column`` makes it
# a column where one is needed. Scalars are exact here: int literals are int64 values, so
# int64 arithmetic with them wraps as column arithmetic does; float operands are float64 on
# both sides.
def _full(value, ty, table):
    dtype = torch.float64 if ty == "float" else torch.int64
    dev = next(iter(table.cols.values())).device if table.cols else None
    return torch.full((table.n,), value, dtype=dtype, device=dev)


def _as_column(f, e):
    ty = e.type
    return lambda t: (_full(f(t)[0], ty, t), None)


_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
_SCALAR_OK = ("add", "sub", "mul")  # arithmetic that takes a Python scalar operand as is
_UNARY = {"neg": torch.neg, "abs": torch.abs}
_INT_BACKED = ("int", "bool", "str")  # int64 columns


def _and(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a & b


# The compile functions are generators run by _run_recursive: `yield` stands for a
# recursive call. ``steps`` is None, or the list a deep expression's nodes are put on.
def _compile(e, interner, steps):
    if isinstance(e, ir.ColRef):
        name = e.name
        return lambda t: (t.cols[name], None)
    if isinstance(e, ir.Lit):
        value = literal_value(e, interner)
        return lambda t: (value, None)
    if isinstance(e, ir.UnExpr):
        return (yield _compile_unary(e, interner, steps))
    if isinstance(e, ir.BinExpr):
        return (yield _compile_binary(e, interner, steps))
    raise TypeError(f"not an expression: {e!r}")


def _operand(e, interner, scalar: bool, steps):
    """A compiled operand: a literal stays a scalar only where ``scalar`` allows it."""
    f = yield _compile(e, interner, steps)
    if isinstance(e, ir.Lit):
        return f if scalar else _as_column(f, e)
    if steps is not None and isinstance(e, (ir.BinExpr, ir.UnExpr)):
        steps.append(f)
        return _result_of(len(steps) - 1)
    return f


def _compile_unary(e, interner, steps):
    f = yield _operand(e.operand, interner, False, steps)
    fn, ty = _UNARY.get(e.op), e.type
    if fn is None:
        raise ValueError(f"unknown unary operator {e.op!r}")

    def run(t):
        x, ok = f(t)
        return fn(_promote(x, ty)), ok
    return run


def _compile_binary(e, interner, steps):
    op, ty = e.op, e.type
    a_lit, b_lit = isinstance(e.left, ir.Lit), isinstance(e.right, ir.Lit)
    a_lit = a_lit and not b_lit  # two literals (not folded): the left one becomes a column
    if op in _CMP:
        str_order = e.left.type == "str" and op not in ("eq", "ne")
        is_float = not str_order and "float" in (e.left.type, e.right.type)
        if str_order:
            a_lit = b_lit = False
        fa = yield _operand(e.left, interner, a_lit, steps)
        fb = yield _operand(e.right, interner, b_lit, steps)
        cmp = _CMP[_FLIP[op]] if a_lit else _CMP[op]  # scalar on the left: flip
        if not str_order:
            direct = _direct(e.left, e.right, "float" if is_float else None, interner, cmp, a_lit)
            if direct is not None:
                return direct

        def run(t):
            a, ok_a = fa(t)
            b, ok_b = fb(t)
            if str_order:
                a, b = interner.ranks(a, b)
            elif is_float:
                a, b = _promote(a, "float"), _promote(b, "float")
            return (cmp(b, a) if a_lit else cmp(a, b)), _and(ok_a, ok_b)
        return run
    if (a_lit or b_lit) and not _scalar_ok(
            op, literal_value(e.right, interner) if b_lit else None, ty):
        a_lit = b_lit = False
    fa = yield _operand(e.left, interner, a_lit, steps)
    fb = yield _operand(e.right, interner, b_lit, steps)
    if op == "concat":
        def run(t):
            (a, ok_a), (b, ok_b) = fa(t), fb(t)
            return interner.concat(a, b), _and(ok_a, ok_b)
        return run
    if ty == "str" and op in ("min", "max"):
        def run(t):
            (a, ok_a), (b, ok_b) = fa(t), fb(t)
            ra, rb = interner.ranks(a, b)
            pick_a = ra <= rb if op == "min" else ra >= rb
            return torch.where(pick_a, a, b), _and(ok_a, ok_b)
        return run
    is_float = ty == "float"
    if op in _SCALAR_OK and ty in ("int", "float"):
        direct = _direct(e.left, e.right, ty, interner, _PY_ARITH[op], False)
        if direct is not None:
            return _finite(direct) if is_float else direct

    def run(t):
        (a, ok_a), (b, ok_b) = fa(t), fb(t)
        values, defined = _arith(op, _promote(a, ty), _promote(b, ty), is_float)
        return values, _and(_and(ok_a, ok_b), defined)
    # min and max of finite floats are finite; every other float operator may overflow
    return _finite(run) if is_float and op not in ("min", "max") else run


def _finite(f):
    """``f`` with the rows whose float value is not finite marked undefined, as a division
    by zero is: each operator checks its own result, so ``min(x * 1e300, 1.0)`` drops the
    row rather than hiding the overflow. Operands are finite (inputs and literals are), so
    only arithmetic creates ±inf and NaN."""
    def run(t):
        values, ok = f(t)
        finite = torch.isfinite(values)
        if bool(finite.all()):  # the common case: no mask to carry
            return values, ok
        return values, _and(ok, finite)
    return run


_PY_ARITH = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}


def _direct(left, right, ty, interner, fn, flipped):
    """A closure for ``fn(left, right)`` when both operands are variables or literals that
    need no conversion (columns of type ``ty`` — or any int-backed type when ``ty`` is None —
    and scalar literals): the common ``n < 2000``, ``n + 1``, ``x != y``, without a Python
    call per operand. None otherwise. ``flipped``: ``fn`` takes the operands swapped."""
    def leaf(e):
        if isinstance(e, ir.ColRef) and (e.type == ty if ty else e.type in _INT_BACKED):
            return e.name, None
        if isinstance(e, ir.Lit) and (e.type == ty if ty else e.type in _INT_BACKED):
            value = literal_value(e, interner)
            return None, float(value) if ty == "float" else value
        return None
    a, b = leaf(left), leaf(right)
    if a is None or b is None or (a[0] is None and b[0] is None):
        return None
    if flipped:
        a, b = b, a
    (an, av), (bn, bv) = a, b
    if an is not None and bn is not None:
        return lambda t: (fn(t.cols[an], t.cols[bn]), None)
    if an is not None:
        return lambda t: (fn(t.cols[an], bv), None)
    return lambda t: (fn(av, t.cols[bn]), None)


def _scalar_ok(op, right_scalar, ty):
    """Whether ``_arith(op)`` may take a Python scalar operand as it is (else: a column)."""
    if op in _SCALAR_OK:
        return True
    # a nonzero divisor needs no validity mask (and -1 not the INT64_MIN guard)
    return op in ("div", "mod") and right_scalar is not None and right_scalar != 0 and (
        ty == "float" or right_scalar != -1)


def _promote(x, ty):
    if not isinstance(x, torch.Tensor):
        return float(x) if ty == "float" else int(x)
    if ty == "float":
        return x if x.dtype == torch.float64 else x.to(torch.float64)
    if x.dtype == torch.bool:
        return x.to(torch.int64)
    return x


def _arith(op, a, b, is_float):
    if op == "add":
        return a + b, None
    if op == "sub":
        return a - b, None
    if op == "mul":
        return a * b, None
    if op == "min":
        return torch.minimum(a, b), None
    if op == "max":
        return torch.maximum(a, b), None
    if op in ("div", "mod") and not isinstance(b, torch.Tensor):  # nonzero, not -1 (_scalar_ok)
        if is_float:
            return (a / b if op == "div" else torch.fmod(a, b)), None
        return (torch.div(a, b, rounding_mode="trunc") if op == "div" else torch.fmod(a, b)), None
    if op in ("div", "mod"):
        zero = b == 0
        if is_float:
            safe = torch.where(zero, torch.ones_like(b), b)
            return (a / safe if op == "div" else torch.fmod(a, safe)), ~zero
        # x86 traps on INT64_MIN / -1: divide by 1 instead and negate (wrapping, as C compilers do)
        minus_one = b == -1
        safe = torch.where(zero | minus_one, torch.ones_like(b), b)
        if op == "div":
            q = torch.div(a, safe, rounding_mode="trunc")
            return torch.where(minus_one, torch.neg(a), q), ~zero
        r = torch.fmod(a, safe)
        return torch.where(minus_one, torch.zeros_like(r), r), ~zero
    if op == "pow":
        if is_float:
            return torch.pow(a, b), None
        neg = b < 0
        p = torch.pow(a, torch.where(neg, torch.zeros_like(b), b))
        # a ** -k truncates toward zero: only ±1 survive; 0 ** -k divides by zero
        odd = torch.remainder(b, 2) == 1
        special = torch.where(a == 1, torch.ones_like(a),
                              torch.where(a == -1, torch.where(odd, -torch.ones_like(a),
                                                               torch.ones_like(a)),
                                          torch.zeros_like(a)))
        return torch.where(neg, special, p), ~(neg & (a == 0))
    raise ValueError(f"unknown arithmetic operator {op!r}")
