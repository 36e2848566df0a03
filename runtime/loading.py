"""Turning Python rows / columns (facts, ``inputs=``) into typed column tensors."""
from __future__ import annotations

import math

import torch

from .errors import NslRuntimeError
from .relation import empty_column

_CONVERSION_ERRORS = (TypeError, ValueError, OverflowError, RuntimeError)


class FactRowError(NslRuntimeError):
    """A fact of the program the runtime cannot store; ``origin`` is the row's source span."""

    def __init__(self, message: str, origin=None):
        self.message, self.origin = message, origin
        super().__init__(f"{origin}: error: {message}" if origin is not None else message)

    def diagnostic(self):
        """This error as an ``nsl.lang.diagnostics.Diagnostic`` for uniform rendering."""
        from nsl.lang.diagnostics import error
        return error(self.message, self.origin)


def column_from_values(values, ty: str, interner) -> torch.Tensor:
    """One typed column from a list (or tensor) of Python values."""
    if isinstance(values, torch.Tensor):
        if ty == "str":
            raise NslRuntimeError("a str column must be given as strings, not a tensor")
        if ty == "float":
            return values.to(torch.float64)
        return values if ty.startswith("tensor") else values.to(torch.int64)
    values = list(values)
    if not values:
        return empty_column(ty)
    if ty == "str":
        return interner.intern_many(values)
    try:
        return _convert(values, ty)
    except _CONVERSION_ERRORS as exc:  # non-numbers, ragged rows, ints past 64 bits
        raise NslRuntimeError(f"a {ty} column cannot hold these values ({exc})") from None


def _convert(values: list, ty: str) -> torch.Tensor:
    if ty == "float":
        return torch.tensor(values, dtype=torch.float64)
    if ty.startswith("tensor"):
        return torch.stack([torch.as_tensor(v, dtype=torch.float32) for v in values])
    return torch.tensor([int(v) for v in values], dtype=torch.int64)


def columns_of(data, types, interner, name="?"):
    """``(cols, n)`` from rows (an iterable of tuples), a dict of columns (in order, or keyed
    0..k-1), or a 2-D tensor of rows."""
    rows = None
    if isinstance(data, dict):
        keys = sorted(data) if all(isinstance(k, int) for k in data) else list(data)
        raw = [data[k] for k in keys]
    elif isinstance(data, torch.Tensor) and data.dim() == 2:
        raw = list(data.unbind(1))
    else:
        rows = [tuple(r) if isinstance(r, (tuple, list)) else (r,) for r in data]
        for r in rows:
            if len(r) != len(types):
                raise NslRuntimeError(f"relation '{name}' has arity {len(types)}, "
                                      f"got a row of {len(r)} values: {r!r}")
        if not types:
            return [], len(rows)
        raw = [[r[j] for r in rows] for j in range(len(types))]
    if len(raw) != len(types):
        raise NslRuntimeError(f"relation '{name}' has {len(types)} columns, got {len(raw)}")
    try:
        cols = [column_from_values(v, ty, interner) for v, ty in zip(raw, types)]
    except NslRuntimeError:
        found = rows and _first_bad_value(rows, types)
        if not found:
            raise
        i, j, problem = found
        raise NslRuntimeError(f"row {i + 1} of relation '{name}': column {j + 1} has type "
                              f"{types[j]}, but its value {problem}") from None
    for j, (c, ty) in enumerate(zip(cols, types)):
        _check_shape(c, ty, name, j)
        _check_finite(c, ty, name, j)
    n = int(cols[0].shape[0]) if cols else 0
    if any(int(c.shape[0]) != n for c in cols):
        raise NslRuntimeError(f"columns of relation '{name}' differ in length")
    return cols, n


def _first_bad_value(rows, types):
    """``(row, column, problem)`` of the first value its column cannot hold, judged one
    value at a time (the slow path, taken only once a whole column has failed), or None."""
    for i, row in enumerate(rows):
        if len(row) != len(types):
            count = f"{len(row)} value" + "s" * (len(row) != 1)
            return i, None, f"has {count}, but the relation has arity {len(types)}"
        for j, (value, ty) in enumerate(zip(row, types)):
            problem = _value_problem(value, ty, rows[0][j])
            if problem:
                return i, j, problem
    return None


def _value_problem(value, ty: str, first) -> str | None:
    """Why ``value`` cannot stand in a ``ty`` column (``first``: the column's first value)."""
    if ty == "str":
        return None
    try:
        converted = _convert([value], ty)
    except _CONVERSION_ERRORS:
        if ty in ("int", "bool") and isinstance(value, int):
            return f"{value} does not fit in 64 bits"
        return f"is {_show(value)}"
    if not ty.startswith("tensor"):
        return None
    shape = list(converted.shape[1:])
    dims = _dims(ty)
    if dims and (len(shape) != len(dims) or any(d != "?" and int(d) != s for d, s in zip(dims, shape))):
        return f"has shape {_shape(shape)}"
    first_shape = list(_convert([first], ty).shape[1:])
    if shape != first_shape:
        return f"has shape {_shape(shape)}, unlike the first row's {_shape(first_shape)}"
    return None


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _shape(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _dims(ty: str) -> list:
    return [d.strip() for d in ty[len("tensor["):-1].split(",") if d.strip()]


def _check_shape(col, ty: str, name: str, j: int) -> None:
    """A tensor column's rows must have the declared shape (``?`` matches any size)."""
    if not ty.startswith("tensor["):
        return
    dims = _dims(ty)
    if not dims:
        return  # a shapeless `tensor` column takes any shape
    shape = list(col.shape[1:])
    if len(shape) != len(dims) or any(d != "?" and int(d) != s for d, s in zip(dims, shape)):
        raise NslRuntimeError(f"column {j + 1} of relation '{name}' is {ty}, but its values "
                              f"have shape {_shape(shape)}")


def _check_finite(col, ty: str, name: str, j: int) -> None:
    """No NaN or infinity in a float or tensor column: NaN breaks ordering, dedup and
    aggregation (one vectorized test per column)."""
    if not (ty == "float" or ty.startswith("tensor")) or col.numel() == 0 or not col.is_floating_point():
        return
    bad = ~torch.isfinite(col.reshape(col.shape[0], -1)).all(1)
    if bool(bad.any()):
        i = int(torch.nonzero(bad)[0])
        value = col[i].item() if col.dim() == 1 else "a tensor holding " + (
            "NaN" if bool(torch.isnan(col[i]).any()) else "an infinity")
        raise NslRuntimeError(f"row {i + 1} of relation '{name}': column {j + 1} has type {ty}, "
                              f"but its value is {value}; inputs must be finite")


def fact_columns(rows, types, interner, prov):
    """``(cols, tags, n)`` of ``ir.FactRow``s; probabilistic rows get tags from ``prov``.

    A value the runtime cannot store raises :class:`FactRowError` at the row's origin.
    """
    values = [r.values for r in rows]
    try:
        cols, n = columns_of(values, types, interner)
    except NslRuntimeError as exc:
        found = _first_bad_value(values, types)
        if not found:
            raise FactRowError(str(exc), rows[0].origin if rows else None) from None
        i, j, problem = found
        what = ("this fact" if j is None
                else f"argument {j + 1} of this fact has type {types[j]}, but its value")
        raise FactRowError(f"{what} {problem}", rows[i].origin) from None
    if all(r.prob is None for r in rows):
        return cols, None, n
    probs = torch.tensor([math.nan if r.prob is None else float(r.prob) for r in rows],
                         dtype=torch.float64)
    groups = torch.tensor([-1 if r.group is None else int(r.group) for r in rows],
                          dtype=torch.int64)
    tags = prov.input_tags(probs, groups)
    if tags is None:
        return cols, None, n
    keep = torch.nonzero(~prov.is_zero(tags)).reshape(-1)
    tags = prov.canonical(prov.gather(tags, keep))
    return [c[keep] for c in cols], tags, int(keep.shape[0])
