"""Facts files: CSV, TSV and JSONL, one fact per row, no header (torch-free).

Values are converted to the declared column types; a bad row raises
``FactFileError(path, line, col, message)`` with a 1-based character column.
A column of a range or enum type (a :class:`Domain`) is checked once the file is
parsed, a whole column at a time.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from .errors import FactFileError

_INT = re.compile(r"[+-]?[0-9]+\Z")
# float() also takes "1_0", "١" and other digits; a CSV float is written as in C or JSON
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)\Z", re.IGNORECASE)
_BOOL = {"true": True, "false": False, "1": True, "0": False}


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

    A UTF-8 byte order mark is skipped; a quoted CSV/TSV field may span lines (RFC 4180)."""
    path = str(path)
    lower = path.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        parse = lambda line_no, line, end, lines: _jsonl_fields(line_no, line, names, len(types))  # noqa: E731
    else:
        sep = "\t" if lower.endswith((".tsv", ".tab")) else ","
        parse = lambda line_no, line, end, lines: _delimited_fields(line_no, line, end, lines, sep)  # noqa: E731
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except OSError as e:
        raise FactFileError(path, 0, 0, f"cannot read facts file: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise FactFileError(path, 0, 0, f"not UTF-8 text: {e.reason}") from None
    is_json = lower.endswith((".jsonl", ".ndjson", ".json"))
    rows = []
    shapes: dict = {}  # shapeless tensor column -> (its first row's shape, that row's line)
    for line_no, line, fields, end in _records(path, text, parse):
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
                        raise _Bad(f"expected tensor values of one shape, found {_shape(shape)} "
                                   f"here and {_shape(first)} on line {first_line}")
            except _Bad as bad:
                if bad.path is not None:  # inside a JSON array: point at the element
                    col = _element_col(line, col - 1, bad.path, bad.at_close)
                raise FactFileError(path, at_line, col, bad.message) from None
        rows.append(tuple(row))
    if domains and rows:
        _check_domains(path, text, rows, domains, parse)
    return rows


_EOL = re.compile(r"\r\n|\r|\n")


def _lines(text: str):
    """``(line_no, line, end)`` of each line of ``text``, ``end`` its line break; only
    ``\\n``, ``\\r\\n`` and ``\\r`` end a line (``str.splitlines`` also splits at other
    Unicode separators, which a value may hold)."""
    pos, line_no = 0, 0
    for m in _EOL.finditer(text):
        line_no += 1
        yield line_no, text[pos:m.start()], m.group()
        pos = m.end()
    if pos < len(text):
        yield line_no + 1, text[pos:], ""


def _records(path, text, parse):
    """``(line_no, line, fields, end)`` of each record (blank lines hold none): ``fields`` are
    ``(line, col, value)``, ``end`` the ``(line, col)`` just past the record."""
    lines = _lines(text)
    for line_no, line, eol in lines:
        if not line.strip():
            continue
        try:
            fields, end = parse(line_no, line, eol, lines)
        except _Bad as bad:
            raise FactFileError(path, bad.line or line_no, bad.col, bad.message) from None
        yield line_no, line, fields, end


def _check_domains(path, text, rows, domains, parse) -> None:
    for j, domain in enumerate(domains):
        if domain is None:
            continue
        i = domain.first_outside([r[j] for r in rows])
        if i is None:
            continue
        # only now find the row's record (blank lines hold no row) and the value's column
        for k, (_, _, fields, _) in enumerate(_records(path, text, parse)):
            if k == i:
                break
        line_no, col, field = fields[j]
        if isinstance(field, tuple):  # CSV text: point past the spaces before the value
            col += len(field[0]) - len(field[0].lstrip())
        raise FactFileError(path, line_no, col, f"{show_value(rows[i][j])} is not a value of type "
                                                f"{domain.text}")


def show_value(value) -> str:
    """A value as NSL writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


class _Bad(Exception):
    """A bad field; ``path`` (indices into nested arrays) locates the bad element within it,
    ``at_close`` the closing bracket of the array at ``path`` (an element is missing there)."""

    def __init__(self, message, col=1, path=None, at_close=False, line=None):
        self.message, self.col, self.path, self.at_close = message, col, path, at_close
        self.line = line  # None: the record's first line


def _element_col(line: str, start: int, path, at_close: bool) -> int:
    """The 1-based column of the element at ``path`` inside the JSON array at ``line[start]``
    (already decoded once, so well-formed), or of that element's closing bracket."""
    i = start
    for k in path:
        i = _WS.match(line, i + 1).end()  # past '[' to the first element
        for _ in range(k):
            _, i = _DECODER.raw_decode(line, i)
            i = _WS.match(line, i).end()
            i = _WS.match(line, i + 1).end()  # past ','
    if at_close:
        _, end = _DECODER.raw_decode(line, i)
        return end  # the ']' is the last character, at 0-based end - 1
    return i + 1


def _delimited_fields(line_no, line, eol, lines, sep):
    """``([(line, col, (text, quoted))], end)`` of the CSV/TSV record starting at ``line``:
    double-quoted fields, ``""`` escapes a quote, and a quoted field may hold line breaks
    (as written), read on from the iterator ``lines``."""
    fields, i, n = [], 0, len(line)
    while True:
        start, start_line = i, line_no
        if i < n and line[i] == '"':
            i += 1
            buf = []
            while True:
                q = line.find('"', i)
                if q < 0:  # the field goes on on the next line
                    buf.append(line[i:])
                    more = next(lines, None) if eol else None
                    if more is None:
                        raise _Bad("unterminated quoted field", start + 1, line=start_line)
                    buf.append(eol)
                    line_no, line, eol = more
                    i, n = 0, len(line)
                    continue
                buf.append(line[i:q])
                if q + 1 < n and line[q + 1] == '"':
                    buf.append('"')
                    i = q + 2
                    continue
                i = q + 1
                break
            if i < n and line[i] != sep:
                raise _Bad("unexpected text after a quoted field", i + 1, line=line_no)
            fields.append((start_line, start + 1, ("".join(buf), True)))
        else:
            j = line.find(sep, i)
            j = n if j < 0 else j
            fields.append((line_no, start + 1, (line[i:j], False)))
            i = j
        if i >= n:
            return fields, (line_no, n + 1)
        i += 1  # skip the separator


class _Constant(float):
    """JSON's ``NaN``/``Infinity``/``-Infinity`` (not JSON, but Python writes them), kept
    apart from a number like ``1e400`` that only overflows."""

    def __new__(cls, name: str):
        value = super().__new__(cls, name)
        value.name = name
        return value


_DECODER = json.JSONDecoder(parse_constant=_Constant)
_WS = re.compile(r"[ \t\r]*")


def _jsonl_fields(line_no, line, names, arity):
    """``([(line_no, col, value)], end)`` of a JSON array of values, or of an object keyed by
    the column ``names`` (matched by name, not by order; see ``load_facts``)."""
    if names is not None and len(names) != arity:
        names = ()
    i = _WS.match(line, 0).end()
    if i >= len(line) or line[i] not in "[{":
        raise _Bad("expected a JSON array (or object) of values", i + 1)
    is_obj, close, opening = line[i] == "{", "]" if line[i] == "[" else "}", i + 1
    i = _WS.match(line, i + 1).end()
    fields, keys = [], {}
    if i < len(line) and line[i] == close:
        i += 1
    else:
        while True:
            if is_obj:
                key_col = i + 1
                key, i = _decode(line, i)
                if not isinstance(key, str):
                    raise _Bad("expected a string key", key_col)
                if key in keys:
                    raise _Bad(f"duplicate key {json.dumps(key)}", key_col)
                if names and key not in names:
                    raise _Bad(f"unknown column {json.dumps(key, ensure_ascii=False)} (the columns "
                               f"are {', '.join(names) or 'none'})", key_col)
                i = _WS.match(line, i).end()
                if i >= len(line) or line[i] != ":":
                    raise _Bad("expected ':'", i + 1)
                i = _WS.match(line, i + 1).end()
            col = i + 1
            value, i = _decode(line, i)
            if is_obj:
                keys[key] = (line_no, col, value)
            fields.append((line_no, col, value))
            i = _WS.match(line, i).end()
            if i < len(line) and line[i] == ",":
                i = _WS.match(line, i + 1).end()
                continue
            if i < len(line) and line[i] == close:
                i += 1
                break
            raise _Bad(f"expected ',' or '{close}'", i + 1)
    if line[i:].strip():
        raise _Bad("unexpected text after the JSON value", i + 1)
    if is_obj and names is not None:
        if arity and not names:
            raise _Bad("an object row needs the relation's column names, but it was declared "
                       "without them: write the row as an array", opening)
        missing = [name for name in names if name not in keys]
        if missing:
            raise _Bad(f"missing column {json.dumps(missing[0])} (the columns are "
                       f"{', '.join(names)})", opening)
        fields = [keys[name] for name in names]
    return fields, (line_no, len(line) + 1)


def _decode(line, i):
    try:
        return _DECODER.raw_decode(line, i)
    except json.JSONDecodeError as e:
        raise _Bad(f"invalid JSON: {e.msg}", e.colno) from None


def _convert(value, ty, is_json):
    if is_json:
        return _convert_json(value, ty)
    text, quoted = value
    if ty == "str":
        return text
    t = text.strip()
    if ty == "int":
        if not _INT.match(t):
            raise _Bad(f"expected an int, found {text!r}")
        v = int(t)
        if not -(1 << 63) <= v < (1 << 63):
            raise _Bad(f"int out of 64-bit range: {t}")
        return v
    if ty == "float":
        if _NOT_FINITE.match(t):
            raise _Bad(f"expected a finite float, found {text!r}")
        if not _FLOAT.match(t):
            raise _Bad(f"expected a float, found {text!r}")
        v = float(t)
        if not math.isfinite(v):  # 1e400
            raise _Bad(f"expected a finite float, found {text!r}")
        return v
    if ty == "bool":
        if t.lower() not in _BOOL:
            raise _Bad(f"expected true or false, found {text!r}")
        return _BOOL[t.lower()]
    raise _Bad(f"a {ty} column needs a JSONL facts file")


def _convert_json(v, ty):
    if ty == "str" and isinstance(v, str):
        return v
    if ty == "int" and isinstance(v, int) and not isinstance(v, bool):
        if not -(1 << 63) <= v < (1 << 63):
            raise _Bad(f"int out of 64-bit range: {v}")
        return v
    if ty == "float" and isinstance(v, (int, float)) and not isinstance(v, bool):
        return _finite(v, "expected a finite float, found {}")
    if ty == "bool" and isinstance(v, bool):
        return v
    if ty.startswith("tensor"):
        return _tensor_value(v, ty)
    raise _Bad(f"expected {ty}, found {json.dumps(v)}")


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
                return _finite(value, f"expected finite numbers in {ty}, found {{}}", path)
            raise _Bad(f"expected {ty}, found {json.dumps(value)} where a number belongs",
                       path=path)
        if not isinstance(value, list):
            where = " where a list belongs" if depth else ""
            raise _Bad(f"expected {ty}, found {json.dumps(value)}{where}", path=path)
        if dims[depth] != "?" and len(value) != int(dims[depth]):
            want = int(dims[depth])
            what = "number" if depth == len(dims) - 1 else "list"
            found = (f"a list of {len(value)} {what}{'s' * (len(value) != 1)}" if value
                     else "an empty list")
            message = f"expected {ty}, found {found} (dimension {depth + 1} must have {want})"
            if len(value) > want:  # at the first element too many
                raise _Bad(message, path=path + (want,))
            raise _Bad(message, path=path, at_close=True)  # where the next one is missing
        return [check(x, path + (k,)) for k, x in enumerate(value)]

    return check(v, ())


def _loose_tensor(value, path):
    """``(floats, shape)`` of a shapeless ``tensor`` value: any rectangular nesting of numbers."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _finite(value, "expected finite numbers in a tensor, found {}", path), []
    if not isinstance(value, list):
        raise _Bad(f"expected tensor, found {json.dumps(value)}"
                   + (" where a number belongs" if path else ""), path=path)
    items = [_loose_tensor(x, path + (k,)) for k, x in enumerate(value)]
    for k, (_, shape) in enumerate(items[1:], 1):
        if shape != items[0][1]:
            raise _Bad(f"expected tensor, found a ragged array: this element has shape "
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
        shown = value.name if isinstance(value, _Constant) else "a number too large for a float"
        raise _Bad(message.format(shown), path=path)
    return v


def _shape(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _shape_of(value) -> list:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return shape


__all__ = ["Domain", "load_facts", "FactFileError"]
