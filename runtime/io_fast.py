"""The fast path of ``load_facts``: a whole CSV/TSV or JSONL file converted a column at a
time with C-level passes (one regex over a column, ``map(int, ...)``, one numpy test),
instead of a Python loop per field.

It reads only what it is sure of and returns None for anything else -- a quoted field, a
value it would have to refuse, a tensor column, an object row --, and ``load_facts`` then
reads the file field by field, which gives the same rows or the located error. So the
fast path decides nothing: it only ever agrees with the slow one.
"""
from __future__ import annotations

import json
import re

import numpy as np

_EOL = re.compile(r"\r\n|\r|\n")
_BLANK = re.compile(r"\n\n+")
# One value per line of a column joined with "\n" (no field holds a line break). Spaces
# around a number are stripped as str.strip() does ([^\S\n]: whitespace but the joiner).
_S = r"[^\S\n]*"
_COLUMN = {
    "int": re.compile(rf"(?:{_S}[+-]?[0-9]+{_S}\n)*"),
    "float": re.compile(rf"(?:{_S}[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?{_S}\n)*"),
    "bool": re.compile(rf"(?:{_S}(?i:true|false|1|0){_S}\n)*"),
}
# How a CSV/TSV bool is spelled (either reader; case-insensitive).
BOOL_SPELLINGS = {"true": True, "false": False, "1": True, "0": False}
_INT64 = (-(1 << 63), (1 << 63) - 1)


def delimited_rows(text: str, types, sep: str) -> list[tuple] | None:
    """The rows of a CSV/TSV ``text`` without a quote character, or None."""
    if '"' in text or not types:
        return None
    body = _BLANK.sub("\n", _EOL.sub("\n", text)).strip("\n")  # only an empty line holds no row
    if not body:
        return []
    k = len(types)
    other = "[^\n,]" if sep == "," else "[^\n\t]"
    every_line = re.compile(rf"(?:{other}*(?:{re.escape(sep)}{other}*){{{k - 1}}}\n)*")
    if not every_line.fullmatch(body + "\n"):  # k fields on every line
        return None
    flat = body.replace("\n", sep).split(sep)
    columns = []
    for j, ty in enumerate(types):
        column = _text_column(flat[j::k], ty)
        if column is None:
            return None
        columns.append(column)
    return list(zip(*columns))


def _text_column(column: list, ty: str) -> list | None:
    if ty == "str":
        return column
    pattern = _COLUMN.get(ty)
    if pattern is None or not pattern.fullmatch("\n".join(column) + "\n"):
        return None
    stripped = list(map(str.strip, column))
    if ty == "bool":  # (IGNORECASE lets "ſ" match "s"; .get leaves such a value to the slow path)
        values = list(map(BOOL_SPELLINGS.get, map(str.lower, stripped)))
        return None if None in values else values
    if ty == "int":
        values = list(map(int, stripped))
        return values if _fits_int64(values) else None
    values = list(map(float, stripped))
    return values if bool(np.isfinite(np.array(values, dtype=np.float64)).all()) else None


def _fits_int64(values: list) -> bool:
    return not values or (_INT64[0] <= min(values) and max(values) <= _INT64[1])


class _Constant(Exception):
    pass


def _no_constant(name):
    raise _Constant(name)  # NaN / Infinity: the slow path names them


_DECODE = json.JSONDecoder(parse_constant=_no_constant).decode
_TYPES = {"int": {int}, "float": {int, float}, "bool": {bool}, "str": {str}}
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def jsonl_rows(text: str, types) -> list[tuple] | None:
    """The rows of a JSONL ``text`` whose lines are all arrays of plain values, or None."""
    if any(ty not in _TYPES for ty in types) or _ESCAPED_SURROGATE.search(text):
        return None  # tensors: shapes are judged value by value; surrogates: refused there
    lines = [line for line in _EOL.split(text) if line.strip(" \t")]
    try:
        rows = list(map(_DECODE, lines))
    except (ValueError, _Constant, RecursionError):
        return None
    if set(map(type, rows)) - {list} or set(map(len, rows)) - {len(types)}:
        return None
    columns = list(zip(*rows)) if rows else [()] * len(types)
    for ty, column in zip(types, columns):
        if set(map(type, column)) - _TYPES[ty]:
            return None
        if ty == "int" and not _fits_int64(column):
            return None
        if ty == "float" and column:
            try:
                finite = bool(np.isfinite(np.array(column, dtype=np.float64)).all())
            except OverflowError:  # an int past a float's range
                return None
            if not finite:
                return None
    if "float" in types:  # a float column holds floats, as the slow path gives them
        columns = [list(map(float, c)) if ty == "float" else c for ty, c in zip(types, columns)]
        return list(zip(*columns))
    return list(map(tuple, rows))
