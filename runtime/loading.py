"""Turning Python rows / columns (facts, ``inputs=``) into typed column tensors.

A column takes from Python only values of its type; anything else is an error that names
the relation, the row and the column -- never a silent conversion:

- ``int``: Python ints (not bools), numpy integers, integer tensors and arrays;
- ``float``: those, and Python / numpy floats and float tensors and arrays (finite only);
- ``bool``: ``True`` / ``False``, numpy bools, bool tensors and arrays;
- ``str``: strings;
- ``tensor[...]``: tensors, arrays or nested lists of numbers of the declared shape.

A float tensor does not fill an int column even when its values are whole numbers: the
caller says how to round (``.long()``, ``.round()``), as a cast would in the program.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import torch

from .errors import NslRuntimeError
from .io import show_type
from .relation import empty_column

_CONVERSION_ERRORS = (TypeError, ValueError, OverflowError, RuntimeError)
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_REJECT = object()  # what _python_value returns for a value its column cannot hold
# the Python types a column of each type takes as they are (a list of them goes to torch whole)
_PLAIN = {"int": {int}, "float": {int, float}, "bool": {bool}, "str": {str}}
_FORMS = ("rows (a list of tuples), columns (a dict of them keyed by column name or 0..k-1) "
          "or a 2-D tensor or array (one row per fact)")


class FactRowError(NslRuntimeError):
    """A fact of the program the runtime cannot store; ``origin`` is the row's source span."""

    def __init__(self, message: str, origin=None):
        self.message, self.origin = message, origin
        super().__init__(f"{origin}: error: {message}" if origin is not None else message)

    def diagnostic(self):
        """This error as an ``nsl.lang.diagnostics.Diagnostic`` for uniform rendering."""
        from nsl.lang.diagnostics import error
        return error(self.message, self.origin)


class BadValue(NslRuntimeError):
    """A value given for relation ``rel`` that its column cannot hold. ``row`` is 0-based;
    ``column`` is 0-based, or None when the row has the wrong number of values;
    ``problem`` completes "its value ..." (or "the row ...")."""

    def __init__(self, rel: str, row: int, column: int | None, ty: str | None, problem: str):
        self.row, self.column, self.problem = row, column, problem
        where = f"row {row + 1} of relation '{rel}'"
        super().__init__(f"{where} {problem}" if column is None else
                         f"{where}: column {column + 1} has type {show_type(ty)}, but its value {problem}")


def _is_array(value) -> bool:
    return isinstance(value, (torch.Tensor, np.ndarray))


def split_facts(data, types, rel: str = "?"):
    """``("rows", [tuple])`` or ``("columns", [column])`` of facts given from Python: rows (any
    iterable of tuples, lists or 1-D tensors or arrays; for a one-column relation a bare value
    is a row), columns (a dict keyed ``0..k-1`` -- or by names, taken in order --), or a 2-D
    tensor or array, one row per fact (1-D for a one-column relation). Anything else raises
    :class:`NslRuntimeError`.

    A list is rows whatever its length: ``list(np.array([[1, 2], [3, 4]]))`` is two rows,
    never two columns (columns are only ever a dict), so no form depends on the data."""
    k = len(types)
    if isinstance(data, Mapping):
        return "columns", _keyed_columns(data, k, rel)
    if _is_array(data):
        if data.ndim == 2 and data.shape[1] == 0 and k == 0:
            return "rows", [()] * int(data.shape[0])  # a nullary relation: one fact per row
        if data.ndim == 2:
            return "columns", list(data.unbind(1)) if isinstance(data, torch.Tensor) else list(data.T)
        if data.ndim == 1 and k == 1:
            return "columns", [data]
        raise NslRuntimeError(f"the facts of relation '{rel}' are a tensor of shape "
                              f"{_shape(data.shape)}; a tensor of facts is 2-D, one row per fact")
    if isinstance(data, (str, bytes)) or not hasattr(data, "__iter__"):
        raise NslRuntimeError(f"the facts of relation '{rel}' must be {_FORMS}, not "
                              f"{type(data).__name__} {_show(data)}")
    loose = not any(ty.startswith("tensor") for ty in types)  # a 1-D tensor can be a row
    rows = [r if type(r) is tuple else _row(r, loose, i, rel) for i, r in enumerate(data)]
    if any(n != k for n in set(map(len, rows))):
        i = next(i for i, r in enumerate(rows) if len(r) != k)
        count = f"{len(rows[i])} value" + "s" * (len(rows[i]) != 1)
        raise BadValue(rel, i, None, None, f"has {count}, but the relation has arity {k}")
    return "rows", rows


def _row(r, loose: bool, i: int, rel: str) -> tuple:
    if isinstance(r, (tuple, list)):
        return tuple(r)
    if isinstance(r, Mapping):
        raise BadValue(rel, i, None, None, "is a dict; a row is a tuple or list of values in "
                       "column order (columns by name are one dict: {name: values})")
    if loose and _is_array(r) and r.ndim == 1:
        return tuple(r)  # 0-d tensors / numpy scalars, judged value by value
    return (r,)


def _keyed_columns(data: Mapping, k: int, rel: str) -> list:
    keys = list(data)
    if all(isinstance(key, str) for key in keys) and keys:
        # the IR has no column names: ``execute`` takes named columns in order (the API,
        # which knows the names, has already matched them with ``by_position``)
        if len(keys) != k:
            raise NslRuntimeError(f"relation '{rel}' has {k} columns, got {len(keys)}")
        return [data[key] for key in keys]
    for key in keys:
        if not (type(key) is int and 0 <= key < k):
            named = " by name" if isinstance(key, str) else ""
            raise NslRuntimeError(f"relation '{rel}' has no column {key!r}{named}: its columns are "
                                  + (f"keyed 0..{k - 1}" if k else "none (it is nullary)"))
    missing = sorted(set(range(k)) - set(keys))
    if missing:
        raise NslRuntimeError(f"column {missing[0]} of relation '{rel}' is missing")
    return [data[j] for j in range(k)]


def by_position(data, names, rel: str, arity: int):
    """``data`` with a dict of columns keyed by the relation's column ``names`` re-keyed
    ``0..k-1`` (as :func:`split_facts` reads it); other data as it is. ``names`` is ``()``
    when the relation was not declared, so its columns have no names."""
    if not isinstance(data, Mapping) or not any(isinstance(key, str) for key in data):
        return data
    if not all(isinstance(key, str) for key in data):
        raise NslRuntimeError(f"the columns of relation '{rel}' are keyed by name and by position "
                              "at once")
    if not arity:
        raise NslRuntimeError(f"relation '{rel}' is nullary: it has no columns")
    if len(names) != arity:
        raise NslRuntimeError(f"relation '{rel}' is not declared, so its columns have no names: "
                              f"key them by position, 0..{arity - 1}")
    for key in data:
        if key not in names:
            raise NslRuntimeError(f"relation '{rel}' has no column '{key}' (its columns: "
                                  f"{', '.join(names) or 'none'})")
    for name in names:
        if name not in data:
            raise NslRuntimeError(f"column '{name}' of relation '{rel}' is missing")
    return {j: data[name] for j, name in enumerate(names)}


def columns_of(data, types, interner, name="?"):
    """``(cols, n)`` from facts given from Python, in any form :func:`split_facts` reads."""
    form, parts = split_facts(data, types, name)
    if form == "rows":
        if not types:
            return [], len(parts)
        parts = [[r[j] for r in parts] for j in range(len(types))]  # (zip(*rows) is slower)
    if len(parts) != len(types):
        raise NslRuntimeError(f"relation '{name}' has {len(types)} columns, got {len(parts)}")
    cols = [_column(v, ty, interner, name, j) for j, (v, ty) in enumerate(zip(parts, types))]
    for j, (c, ty) in enumerate(zip(cols, types)):
        _check_shape(c, ty, name, j)
        _check_finite(c, ty, name, j)
    n = int(cols[0].shape[0]) if cols else 0
    if any(int(c.shape[0]) != n for c in cols):
        raise NslRuntimeError(f"columns of relation '{name}' differ in length")
    return cols, n


def _column(values, ty: str, interner, rel: str, j: int) -> torch.Tensor:
    if _is_array(values):
        return _array_column(values, ty, interner, rel, j)
    values = values if isinstance(values, (list, tuple)) else list(values)
    if not values:
        return empty_column(ty)
    if ty.startswith("tensor"):
        return _tensor_column(values, ty, rel, j)
    if not set(map(type, values)) <= _PLAIN[ty]:  # one C pass; the common case ends here
        values = [_checked(v, ty, rel, i, j) for i, v in enumerate(values)]
    if ty == "str":
        _check_unicode(values, rel, j)
        return interner.intern_many(values)
    try:
        dtype = np.float64 if ty == "float" else np.int64
        return torch.from_numpy(np.fromiter(values, dtype=dtype, count=len(values)))
    except _CONVERSION_ERRORS:  # an int past 64 bits, or past a float's range
        for i, v in enumerate(values):
            problem = _range_problem(v, ty)
            if problem:
                raise BadValue(rel, i, j, ty, problem) from None
        raise


def _check_unicode(values: list, rel: str, j: int) -> None:
    """Strings hold Unicode characters only, as in a program or a JSONL file: a lone surrogate
    (``"\\ud800"``, which Python allows) cannot be printed as UTF-8. One C-level encode of
    the whole column; the row is looked for only when it fails."""
    try:
        "".join(values).encode("utf-8")
    except UnicodeEncodeError:
        for i, v in enumerate(values):
            bad = _SURROGATE.search(v)
            if bad:
                raise BadValue(rel, i, j, "str", f"is {_show(v)}, which holds a lone surrogate "
                               f"(\\u{ord(bad.group()):04x}), not a Unicode character") from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _checked(value, ty: str, rel: str, i: int, j: int):
    v = _python_value(value, ty)
    if v is _REJECT:
        raise BadValue(rel, i, j, ty, f"is {_show(value)}")
    return v


def _python_value(v, ty: str):
    """``v`` as a plain Python value for a ``ty`` column, or ``_REJECT``."""
    if _is_array(v):
        if v.ndim != 0 or not _kind_fits(_kind(v.dtype), ty):
            return _REJECT
        return v.item()
    if ty == "str":
        return v if isinstance(v, str) else _REJECT
    if isinstance(v, (bool, np.bool_)):
        return bool(v) if ty == "bool" else _REJECT
    if ty == "bool":
        return _REJECT
    if isinstance(v, (int, np.integer)):
        return int(v)
    if ty == "float" and isinstance(v, (float, np.floating)):
        return float(v)
    return _REJECT


def _range_problem(v, ty: str) -> str | None:
    if ty in ("int", "bool") and isinstance(v, int) and not _INT64_MIN <= v <= _INT64_MAX:
        return f"{v} does not fit in 64 bits"
    if ty == "float" and isinstance(v, int):
        try:
            float(v)
        except OverflowError:
            return f"{_show(v)} does not fit in a float"
    return None


def _kind(dtype) -> str | None:
    """"bool", "int", "float" or "str" for a torch or numpy dtype, or None."""
    if isinstance(dtype, torch.dtype):
        if dtype == torch.bool:
            return "bool"
        if dtype.is_complex:
            return None
        return "float" if dtype.is_floating_point else "int"
    return {"b": "bool", "i": "int", "u": "int", "f": "float", "U": "str"}.get(dtype.kind)


def _kind_fits(kind: str | None, ty: str) -> bool:
    return kind == ty or (ty == "float" and kind == "int")


def _array_column(values, ty: str, interner, rel: str, j: int) -> torch.Tensor:
    """A column given as a tensor or array: judged by its dtype, one test for all its values."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind not in "biuf":  # strings, objects: value by value
            return _column(values.tolist(), ty, interner, rel, j)
        values = torch.from_numpy(np.ascontiguousarray(values))
    if ty.startswith("tensor"):
        # the same float32 a row-by-row tensor column gets; complex values have no order
        if _kind(values.dtype) not in ("bool", "int", "float"):
            raise NslRuntimeError(f"column {j + 1} of relation '{rel}' has type {show_type(ty)}, but the "
                                  f"tensor given for it holds "
                                  f"{str(values.dtype).replace('torch.', '')} values")
        out = values.to(torch.float32)
        _check_float32_range(values, out, ty, rel, j)
        return out
    if values.dim() != 1:
        raise NslRuntimeError(f"column {j + 1} of relation '{rel}' has type {show_type(ty)}, but the tensor "
                              f"given for it has shape {_shape(values.shape)}, not one value per row")
    if not _kind_fits(_kind(values.dtype), ty):
        hint = (" (an int column takes integer tensors only: convert with .long() or .round() "
                "to say how)" if ty == "int" and values.is_floating_point() else "")
        raise NslRuntimeError(f"column {j + 1} of relation '{rel}' has type {show_type(ty)}, but the tensor "
                              f"given for it holds {str(values.dtype).replace('torch.', '')} "
                              f"values{hint}")
    if ty == "float":
        return values.to(torch.float64)
    out = values.to(torch.int64)
    if values.dtype.itemsize == 8 and not values.dtype.is_signed and out.numel():
        bad = torch.nonzero(out < 0).reshape(-1)  # an unsigned 64-bit value past int64
        if bad.numel():
            i = int(bad[0])
            raise BadValue(rel, i, j, ty, f"{int(out[i]) + (1 << 64)} does not fit in 64 bits")
    return out


def _check_float32_range(values, out, ty: str, rel: str, j: int) -> None:
    """A finite float64 value that float32 cannot hold is named as such, not as an infinity."""
    if not values.is_floating_point() or values.dtype.itemsize <= 4 or out.numel() == 0:
        return
    flat_in, flat_out = values.reshape(values.shape[0], -1), out.reshape(out.shape[0], -1)
    lost = torch.isfinite(flat_in) & ~torch.isfinite(flat_out)
    rows = torch.nonzero(lost.any(1)).reshape(-1)
    if rows.numel():
        i = int(rows[0])
        value = float(flat_in[i][lost[i]][0])
        raise BadValue(rel, i, j, ty, f"holds {value!r}, past float32's range")


def _tensor_column(values: list, ty: str, rel: str, j: int) -> torch.Tensor:
    if any(map(_is_complex, values)):  # torch would keep the real part (numpy: silently)
        i = next(i for i, v in enumerate(values) if _is_complex(v))
        raise BadValue(rel, i, j, ty, "holds complex values, which have no order")
    try:
        wide = _convert(values, ty, torch.float64)  # float32's range is checked below
    except _CONVERSION_ERRORS:
        for i, v in enumerate(values):
            problem = _value_problem(v, ty, values[0])
            if problem:
                raise BadValue(rel, i, j, ty, problem) from None
        raise NslRuntimeError(f"a {show_type(ty)} column cannot hold these values") from None
    out = wide.to(torch.float32)
    _check_float32_range(wide, out, ty, rel, j)
    return out


def _is_complex(value) -> bool:
    if isinstance(value, torch.Tensor):
        return value.dtype.is_complex
    return isinstance(value, np.ndarray) and value.dtype.kind == "c"


def _convert(values: list, ty: str, dtype=torch.float32) -> torch.Tensor:
    """A tensor-typed column from its row values (tensors, arrays or nested lists)."""
    return torch.stack([torch.as_tensor(v, dtype=dtype) for v in values])


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
    if not ty.startswith("tensor"):
        v = _python_value(value, ty)
        return f"is {_show(value)}" if v is _REJECT else _range_problem(v, ty)
    try:
        converted = _convert([value], ty)
    except _CONVERSION_ERRORS:
        return f"is {_show(value)}"
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
        raise NslRuntimeError(f"column {j + 1} of relation '{name}' is {show_type(ty)}, but its values "
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
        raise NslRuntimeError(f"row {i + 1} of relation '{name}': column {j + 1} has type {show_type(ty)}, "
                              f"but its value is {value}; inputs must be finite")


def fact_columns(rows, types, interner, prov):
    """``(cols, tags, n)`` of ``ir.FactRow``s; probabilistic rows get tags from ``prov``.

    A value the runtime cannot store raises :class:`FactRowError` at the row's origin.
    """
    values = [r.values for r in rows]
    try:
        cols, n = columns_of(values, types, interner)
    except BadValue as bad:
        what = ("this fact" if bad.column is None
                else f"argument {bad.column + 1} of this fact has type "
                     f"{show_type(types[bad.column])}, but its value")
        raise FactRowError(f"{what} {bad.problem}", rows[bad.row].origin) from None
    except NslRuntimeError as exc:  # a column-wide problem (a tensor shape): find its row
        found = _first_bad_value(values, types)
        if not found:
            raise FactRowError(str(exc), rows[0].origin if rows else None) from None
        i, j, problem = found
        what = ("this fact" if j is None
                else f"argument {j + 1} of this fact has type {show_type(types[j])}, but its value")
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
