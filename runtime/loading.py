"""Turning Python rows / columns (facts, ``inputs=``) into typed column tensors."""
from __future__ import annotations

import math

import torch

from .errors import NslRuntimeError
from .relation import empty_column


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
    if ty == "float":
        return torch.tensor(values, dtype=torch.float64)
    if ty.startswith("tensor"):
        try:
            return torch.stack([torch.as_tensor(v, dtype=torch.float32) for v in values])
        except (TypeError, ValueError, RuntimeError) as exc:  # ragged rows, non-numbers
            raise NslRuntimeError(f"a {ty} column needs numeric arrays of one shape ({exc})") from None
    return torch.tensor([int(v) for v in values], dtype=torch.int64)


def columns_of(data, types, interner, name="?"):
    """``(cols, n)`` from rows (an iterable of tuples), a dict of columns (in order, or keyed
    0..k-1), or a 2-D tensor of rows."""
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
    cols = [column_from_values(v, ty, interner) for v, ty in zip(raw, types)]
    for j, (c, ty) in enumerate(zip(cols, types)):
        _check_shape(c, ty, name, j)
    n = int(cols[0].shape[0]) if cols else 0
    if any(int(c.shape[0]) != n for c in cols):
        raise NslRuntimeError(f"columns of relation '{name}' differ in length")
    return cols, n


def _check_shape(col, ty: str, name: str, j: int) -> None:
    """A tensor column's rows must have the declared shape (``?`` matches any size)."""
    if not ty.startswith("tensor["):
        return
    dims = [d.strip() for d in ty[len("tensor["):-1].split(",") if d.strip()]
    if not dims:
        return  # a shapeless `tensor` column takes any shape
    shape = list(col.shape[1:])
    if len(shape) != len(dims) or any(d != "?" and int(d) != s for d, s in zip(dims, shape)):
        raise NslRuntimeError(f"column {j + 1} of relation '{name}' is {ty}, but its values "
                              f"have shape [{', '.join(map(str, shape))}]")


def fact_columns(rows, types, interner, prov):
    """``(cols, tags, n)`` of ``ir.FactRow``s; probabilistic rows get tags from ``prov``."""
    cols, n = columns_of([r.values for r in rows], types, interner)
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
