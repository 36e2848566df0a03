"""Facts files: CSV, TSV and JSONL, one fact per row, no header (torch-free).

Values are converted to the declared column types; a bad row raises
``FactFileError(path, line, col, message)`` with a 1-based character column.
A column of a range or enum type (a :class:`Domain`) is checked once the file is
parsed, a whole column at a time.
"""
from __future__ import annotations

import codecs
import json
import math
import os
import re
from dataclasses import dataclass

from .errors import FactFileError
from .io_fast import BOOL_SPELLINGS as _BOOL, delimited_rows, jsonl_rows
from .io_records import BadField, JsonConstant, _lines, delimited_fields, element_col, jsonl_fields, records

_INT = re.compile(r"[+-]?[0-9]+\Z")
# float() also takes "1_0", "١" and other digits; a CSV float is written as in C or JSON
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)\Z", re.IGNORECASE)


# How a facts file is read is told by its extension, the same set everywhere: `from` (checked
# with these in nsl.lang.check.declarations), --facts and a path given to the API.
FACT_FILE_SUFFIXES = (".csv", ".tsv", ".jsonl")


def fact_file_problem(path, types=None) -> str | None:
    """Why the file at ``path`` cannot be read as the facts of a relation with column
    ``types`` at all, worded to follow "fact file 'PATH' " (``must be .csv, ...``), or None.
    A missing file is left to the caller, which names it as the user wrote it."""
    lower = str(path).lower()
    if not lower.endswith(FACT_FILE_SUFFIXES):
        return "must be .csv, .tsv or .jsonl (its extension says how it is read)"
    if os.path.isdir(path):
        return "is a directory, not a file"
    if types is not None and not types and not lower.endswith(".jsonl"):
        return ("cannot hold the facts of a nullary relation: a CSV/TSV row has at least one "
                "value (an empty line holds none); use a .jsonl file with a line [] for the fact")
    return None


@dataclass(frozen=True)
class Domain:
    """A column's declared finite type: the ints ``lo..hi``, or the listed ``values``;
    ``text`` names it in messages (``Digit = 0..9``)."""

    text: str
    lo: int | None = None
    hi: int | None = None
    values: tuple = ()

    def first_outside(self, column) -> int | None:
        """The index of the first value of ``column`` (a sequence or a CPU tensor) that is
        not in the domain, or None; one vectorized test over the whole column."""
        import numpy as np

        if self.lo is not None:
            arr = np.asarray(column, dtype=np.int64)
            bad = (arr < self.lo) | (arr > self.hi)
        elif isinstance(column, (list, tuple)):
            # a set, not np.isin: numpy's <U dtype drops trailing NULs ("red\\0" -> "red")
            allowed = set(self.values)
            bad = ~np.fromiter(map(allowed.__contains__, column), dtype=bool, count=len(column))
        else:
            arr = np.asarray(column)
            bad = ~np.isin(arr, np.asarray(self.values))  # no common dtype: it could cut strings
        hits = np.flatnonzero(bad)
        return int(hits[0]) if hits.size else None


def load_facts(path, types, domains=None, names=None) -> list[tuple]:
    """Rows of the facts file at ``path`` as tuples of Python values typed by ``types``;
    ``domains`` (a :class:`Domain` or None per column) restricts columns to a declared type;
    ``names`` are the declared column names, which the keys of a JSONL object row must be
    (``()`` for a relation declared without them: an object row is then an error; None,
    where the caller has no names -- the IR has none --: the keys are taken in order).

    A UTF-8 byte order mark is skipped; a quoted CSV/TSV field may span lines (RFC 4180).
    A file that cannot be read at all (:func:`fact_file_problem`, or an OS error) raises
    ``FactFileError`` at line 0, and its ``problem`` completes "fact file 'PATH' "."""
    path = str(path)
    lower = path.lower()
    problem = fact_file_problem(path, types)
    if problem:
        raise _whole_file_error(path, problem)
    is_json, sep = lower.endswith(".jsonl"), "\t" if lower.endswith(".tsv") else ","
    if is_json:
        parse = lambda line_no, line, end, lines: jsonl_fields(line_no, line, names, len(types))  # noqa: E731
    else:
        parse = lambda line_no, line, end, lines: delimited_fields(line_no, line, end, lines, sep)  # noqa: E731
    text = _read_text(path)
    fast = jsonl_rows(text, types) if is_json else delimited_rows(text, types, sep)
    if fast is not None:  # a whole column at a time; None: read field by field (errors too)
        if domains and fast:
            _check_domains(path, text, fast, domains, parse, is_json)
        return fast
    rows = []
    shapes: dict = {}  # shapeless tensor column -> (its first row's shape, that row's line)
    for line_no, line, fields, end in records(path, text, parse, is_json):
        if len(fields) != len(types):
            at = fields[len(types)][:2] if len(fields) > len(types) else end
            raise FactFileError(path, *at, f"expected {len(types)} values, found {len(fields)}")
        row = []
        for j, ((at_line, col, value), ty) in enumerate(zip(fields, types)):
            try:
                row.append(_convert(value, ty, is_json))
                if ty == "tensor[]":  # shapeless, but every row of a column has one shape
                    shape = _shape_of(row[-1])
                    first, first_line = shapes.setdefault(j, (shape, line_no))
                    if shape != first:
                        raise BadField(f"expected tensor values of one shape, found {_shape(shape)} "
                                   f"here and {_shape(first)} on line {first_line}")
            except BadField as bad:
                if bad.path is not None:  # inside a JSON array: point at the element
                    col = element_col(line, col - 1, bad.path, bad.at_close)
                elif not is_json and not value[1] and value[0].strip():  # past spaces before it
                    col += len(value[0]) - len(value[0].lstrip())
                raise FactFileError(path, at_line, col, bad.message) from None
        rows.append(tuple(row))
    if domains and rows:
        _check_domains(path, text, rows, domains, parse, is_json)
    return rows


def _read_text(path: str) -> str:
    """The file's text, line breaks as written (``records`` splits them); not UTF-8: an error
    at the line and column of the first bad byte."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise _whole_file_error(path, f"cannot be read: {e.strerror or e}") from None
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0  # not text
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[bom:bom + e.start].decode("utf-8")  # valid up to the bad byte
        line_no, col = 1, 1
        for line_no, line, eol in _lines(before):
            line_no, col = (line_no + 1, 1) if eol else (line_no, len(line) + 1)
        offset = bom + e.start
        raise FactFileError(path, line_no, col, f"not UTF-8 text: byte 0x{data[offset]:02x} "
                                                f"at offset {offset} ({e.reason})") from None


def _whole_file_error(path: str, problem: str) -> FactFileError:
    error = FactFileError(path, 0, 0, f"fact file '{path}' {problem}")
    error.problem = problem
    return error


def _check_domains(path, text, rows, domains, parse, is_json) -> None:
    for j, domain in enumerate(domains):
        if domain is None:
            continue
        i = domain.first_outside([r[j] for r in rows])
        if i is None:
            continue
        # only now find the row's record (blank lines hold no row) and the value's column
        for k, (_, _, fields, _) in enumerate(records(path, text, parse, is_json)):
            if k == i:
                break
        line_no, col, field = fields[j]
        if isinstance(field, tuple):  # CSV text: point past the spaces before the value
            col += len(field[0]) - len(field[0].lstrip())
        raise FactFileError(path, line_no, col, f"{show_value(rows[i][j])} is not a value of type "
                                                f"{domain.text}")


def show_type(ty: str) -> str:
    """A column type as a program writes it: ``tensor[2, 2]`` (types are kept as ``tensor[2,2]``),
    ``tensor`` for a shapeless one."""
    if not ty.startswith("tensor["):
        return ty
    dims = [d.strip() for d in ty[len("tensor["):-1].split(",") if d.strip()]
    return f"tensor[{', '.join(dims)}]" if dims else "tensor"


def show_value(value) -> str:
    """A value as NSL writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _convert(value, ty, is_json):
    if is_json:
        return _convert_json(value, ty)
    text, quoted = value
    if ty == "str":
        return text
    t = text.strip()
    if ty == "int":
        if not _INT.match(t):
            raise BadField(f"expected an int, found {text!r}")
        v = int(t)
        if not -(1 << 63) <= v < (1 << 63):
            raise BadField(f"int out of 64-bit range: {t}")
        return v
    if ty == "float":
        if _NOT_FINITE.match(t):
            raise BadField(f"expected a finite float, found {text!r}")
        if not _FLOAT.match(t):
            raise BadField(f"expected a float, found {text!r}")
        v = float(t)
        if not math.isfinite(v):  # 1e400
            raise BadField(f"expected a finite float, found {text!r}")
        return v
    if ty == "bool":
        if t.lower() not in _BOOL:
            raise BadField(f"expected true or false, found {text!r}")
        return _BOOL[t.lower()]
    raise BadField(f"a {show_type(ty)} column needs a JSONL facts file")


def _convert_json(v, ty):
    if ty == "str" and isinstance(v, str):
        return v
    if ty == "int" and isinstance(v, int) and not isinstance(v, bool):
        if not -(1 << 63) <= v < (1 << 63):
            raise BadField(f"int out of 64-bit range: {v}")
        return v
    if ty == "float" and isinstance(v, (int, float)) and not isinstance(v, bool):
        return _finite(v, "expected a finite float, found {}")
    if ty == "bool" and isinstance(v, bool):
        return v
    if ty.startswith("tensor"):
        return _tensor_value(v, ty)
    raise BadField(f"expected {show_type(ty)}, found {json.dumps(v)}")


def _tensor_value(v, ty):
    """A nested list of numbers whose shape is the declared ``tensor[d1,...]`` (``?``: any).

    An error carries the path to the offending element, so it is reported there.
    """
    dims = [d.strip() for d in ty[len("tensor["):-1].split(",") if d.strip()]
    if not dims:
        return _loose_tensor(v, ())[0]

    def check(value, path):
        depth = len(path)
        if depth == len(dims):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                finite = _finite(value, f"expected finite numbers in {show_type(ty)}, found {{}}", path)
                return _float32(finite, ty, path)
            raise BadField(f"expected {show_type(ty)}, found {json.dumps(value)} where a number belongs",
                       path=path)
        if not isinstance(value, list):
            where = " where a list belongs" if depth else ""
            raise BadField(f"expected {show_type(ty)}, found {json.dumps(value)}{where}", path=path)
        if dims[depth] != "?" and len(value) != int(dims[depth]):
            want = int(dims[depth])
            what = "number" if depth == len(dims) - 1 else "list"
            found = (f"a list of {len(value)} {what}{'s' * (len(value) != 1)}" if value
                     else "an empty list")
            message = f"expected {show_type(ty)}, found {found} (dimension {depth + 1} must have {want})"
            if len(value) > want:  # at the first element too many
                raise BadField(message, path=path + (want,))
            raise BadField(message, path=path, at_close=True)  # where the next one is missing
        return [check(x, path + (k,)) for k, x in enumerate(value)]

    return check(v, ())


def _loose_tensor(value, path):
    """``(floats, shape)`` of a shapeless ``tensor`` value: any rectangular nesting of numbers."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _float32(_finite(value, "expected finite numbers in a tensor, found {}", path),
                        "tensor", path), []
    if not isinstance(value, list):
        raise BadField(f"expected tensor, found {json.dumps(value)}"
                   + (" where a number belongs" if path else ""), path=path)
    items = [_loose_tensor(x, path + (k,)) for k, x in enumerate(value)]
    for k, (_, shape) in enumerate(items[1:], 1):
        if shape != items[0][1]:
            raise BadField(f"expected tensor, found a ragged array: this element has shape "
                       f"{_shape(shape)}, the first one {_shape(items[0][1])}", path=path + (k,))
    return [x for x, _ in items], [len(value)] + (items[0][1] if items else [])


def _finite(value, message: str, path=None) -> float:
    """``value`` as a float, unless it is NaN, infinite (JSON's ``NaN``, ``Infinity``,
    ``1e400``) or too large for a float: NaN breaks ordering, dedup and aggregation."""
    try:
        v = float(value)
    except OverflowError:
        v = math.inf
    if not math.isfinite(v):
        shown = value.name if isinstance(value, JsonConstant) else "a number too large for a float"
        raise BadField(message.format(shown), path=path)
    return v


# The smallest magnitude that rounds to infinity in float32 (the largest float32
# plus half an ulp: the tie goes to the even neighbour, infinity).
_FLOAT32_OVERFLOW = 3.4028235677973366e38


def _float32(v: float, ty: str, path) -> float:
    """A tensor element, which is stored as float32: one that would become
    infinity there is an error at the element, not a silent infinity."""
    if abs(v) >= _FLOAT32_OVERFLOW:
        raise BadField(f"expected numbers within float32's range in {show_type(ty)} (tensors hold "
                       f"float32), found {v!r}", path=path)
    return v


def _shape(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _shape_of(value) -> list:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return shape


__all__ = ["Domain", "load_facts", "FactFileError", "FACT_FILE_SUFFIXES", "fact_file_problem"]
