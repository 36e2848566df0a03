"""Splitting a facts file into records and fields: CSV/TSV records (RFC 4180
quoting, fields that span lines) and JSONL rows (arrays, or objects matched by
column name), each field with its line and column. ``io`` converts the fields
to column values."""
from __future__ import annotations

import json
import re

from .errors import FactFileError

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


def records(path, text, parse, is_json=False):
    """``(line_no, line, fields, end)`` of each record: ``fields`` are ``(line, col, value)``,
    ``end`` the ``(line, col)`` just past the record. An empty line holds no record; in CSV/TSV
    any other line is one (a line of spaces or a lone tab is a row of such fields), in JSONL a
    line of JSON whitespace (spaces, tabs) holds none either, as it can hold no value."""
    lines = _lines(text)
    for line_no, line, eol in lines:
        if not line or (is_json and _WS.fullmatch(line)):
            continue
        try:
            fields, end = parse(line_no, line, eol, lines)
        except BadField as bad:
            raise FactFileError(path, bad.line or line_no, bad.col, bad.message) from None
        yield line_no, line, fields, end


class BadField(Exception):
    """A bad field; ``path`` (indices into nested arrays) locates the bad element within it,
    ``at_close`` the closing bracket of the array at ``path`` (an element is missing there)."""

    def __init__(self, message, col=1, path=None, at_close=False, line=None):
        self.message, self.col, self.path, self.at_close = message, col, path, at_close
        self.line = line  # None: the record's first line


def element_col(line: str, start: int, path, at_close: bool) -> int:
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


def delimited_fields(line_no, line, eol, lines, sep):
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
                        raise BadField("unterminated quoted field", start + 1, line=start_line)
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
                raise BadField("unexpected text after a quoted field", i + 1, line=line_no)
            fields.append((start_line, start + 1, ("".join(buf), True)))
        else:
            j = line.find(sep, i)
            j = n if j < 0 else j
            fields.append((line_no, start + 1, (line[i:j], False)))
            i = j
        if i >= n:
            return fields, (line_no, n + 1)
        i += 1  # skip the separator


class JsonConstant(float):
    """JSON's ``NaN``/``Infinity``/``-Infinity`` (not JSON, but Python writes them), kept
    apart from a number like ``1e400`` that only overflows."""

    def __new__(cls, name: str):
        value = super().__new__(cls, name)
        value.name = name
        return value


_DECODER = json.JSONDecoder(parse_constant=JsonConstant)
_WS = re.compile(r"[ \t\r]*")


def jsonl_fields(line_no, line, names, arity):
    """``([(line_no, col, value)], end)`` of a JSON array of values, or of an object keyed by
    the column ``names`` (matched by name, not by order; see ``load_facts``)."""
    if names is not None and len(names) != arity:
        names = ()
    i = _WS.match(line, 0).end()
    if i >= len(line) or line[i] not in "[{":
        raise BadField("expected a JSON array (or object) of values", i + 1)
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
                    raise BadField("expected a string key", key_col)
                if key in keys:
                    raise BadField(f"duplicate key {json.dumps(key)}", key_col)
                if names and key not in names:
                    raise BadField(f"unknown column {json.dumps(key, ensure_ascii=False)} (the columns "
                               f"are {', '.join(names) or 'none'})", key_col)
                i = _WS.match(line, i).end()
                if i >= len(line) or line[i] != ":":
                    raise BadField("expected ':'", i + 1)
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
            raise BadField(f"expected ',' or '{close}'", i + 1)
    rest = line[i:]
    if rest.strip():  # at the text, past the spaces after the value
        raise BadField("unexpected text after the JSON value", i + 1 + len(rest) - len(rest.lstrip()))
    if is_obj and names is not None:
        if arity and not names:
            raise BadField("an object row needs the relation's column names, but it was declared "
                       "without them: write the row as an array", opening)
        missing = [name for name in names if name not in keys]
        if missing:
            raise BadField(f"missing column {json.dumps(missing[0])} (the columns are "
                       f"{', '.join(names)})", opening)
        fields = [keys[name] for name in names]
    return fields, (line_no, len(line) + 1)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _decode(line, i):
    """The JSON value at ``line[i]`` and the index past it. A string must be Unicode text:
    JSON lets ``"\\ud800"`` through as a lone surrogate, which no UTF-8 output can hold."""
    try:
        value, end = _DECODER.raw_decode(line, i)
    except json.JSONDecodeError as e:
        raise BadField(f"invalid JSON: {e.msg}", e.colno) from None
    if isinstance(value, str):
        bad = _SURROGATE.search(value)
        if bad:
            raise BadField(f"invalid string: \\u{ord(bad.group()):04x} is a lone surrogate, "
                           "not a Unicode character", i + 1)
    return value, end
