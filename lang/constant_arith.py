"""NSL's arithmetic on constants, as a run computes it.

The checks work out the values of constant expressions (``v(5 + 7)``) and the
``constant_fold`` pass replaces literal IR expressions by their values; both
ask here, so a value worked out before the run is the one the run computes.
Ints are 64-bit; ``/`` on two ints rounds toward zero and ``%`` is its
remainder, with the dividend's sign (as in C, Soufflé and SQL); ``%`` on floats
is C's ``fmod`` too; an int and a float compute as two floats.

Where the run computes no one value a constant could stand for, the answer is
None: a division by zero (the row derives nothing), an int result past 64 bits
(the run wraps it), a negative power of an int (truncated by the run), a float
``%`` whose quotient is not finite (torch's vectorised ``fmod`` gives nan there,
its scalar one the remainder), any power of floats (torch's vectorised
``pow`` may round the last bit otherwise than Python's), and a float result that
is not finite (``1e308 * 10.0``: the run drops that row, as it does a division by
zero).
"""
from __future__ import annotations

import math

INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1
OPERATORS = ("+", "-", "*", "/", "%", "**")


def in_int64(value: int) -> bool:
    """Whether an int fits NSL's 64-bit ints."""
    return INT_MIN <= value <= INT_MAX


def wrap64(value: int) -> int:
    """``value`` wrapped into NSL's 64-bit ints (two's complement), as the run wraps."""
    return (value - INT_MIN) % (1 << 64) + INT_MIN


def binary(op: str, a, b):
    """``a OP b`` for two numbers (``op`` one of ``OPERATORS``) as a run computes it, or None
    where no constant stands for the result (see the module's docstring)."""
    if isinstance(a, float) or isinstance(b, float):
        return _floats(op, a, b)
    if op in ("/", "%"):
        if b == 0:
            return None
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)  # toward zero
        value = q if op == "/" else a - b * q
    elif op == "**":
        if not 0 <= b <= 62:  # any larger power of |a| >= 2 wraps
            return None
        value = a ** b
    else:
        value = _PLAIN[op](a, b)
    return value if in_int64(value) else None


def _floats(op: str, a, b):
    if op == "**" or (op in ("/", "%") and b == 0):
        return None
    try:
        a, b = float(a), float(b)
    except OverflowError:  # an int past a float's range
        return None
    try:
        if op == "%":
            return math.fmod(a, b) if math.isfinite(a / b) else None
        value = _PLAIN[op](a, b)
    except OverflowError:  # Python raises where torch gives inf
        return None
    return value if math.isfinite(value) else None


_PLAIN = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a / b}
