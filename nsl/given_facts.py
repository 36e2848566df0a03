"""Facts handed to ``Program.run``: given from Python (rows or a dict of columns,
judged against range and enum column types here, the rest by the runtime) or read
from a facts file, with every problem a positioned :class:`CompileError`."""
from __future__ import annotations

import os
from collections.abc import Mapping

from nsl.lang.diagnostics import CompileError, Span, error
from nsl.lang.loader import no_nul


def given_facts(name: str, data, types, names, domains, sources):
    """Facts given from Python for relation ``name``, with a dict of named columns keyed by
    position; the runtime judges the values. A form the runtime cannot read, or a value
    outside a range or enum column's type, is a :class:`CompileError`."""
    from nsl.runtime.errors import NslRuntimeError
    from nsl.runtime.loading import by_position, split_facts

    try:
        data = by_position(data, names, name, len(types))
        _check_column_values(name, data, names)
        if not domains:
            return data
        form, parts = split_facts(data, types, name)
    except NslRuntimeError as exc:
        raise CompileError([error(str(exc), None)], sources) from None
    columns = parts if form == "columns" else [[r[j] for r in parts] for j in range(len(types))]
    _check_given_domains(name, columns, domains, sources)
    return dict(enumerate(parts)) if form == "columns" else parts


def _check_column_values(name: str, data, names) -> None:
    """A dict of columns holds a sequence of values per column; a dict of single values (one
    row written as a record) is refused here, not met as ``'int' object is not iterable``."""
    if not isinstance(data, Mapping):
        return
    for key, column in data.items():
        if isinstance(column, (str, bytes)) or not (hasattr(column, "__iter__") or hasattr(column, "shape")) \
                or getattr(column, "ndim", 1) == 0:
            raise CompileError([error(
                f"column {_column_label(key, names)} of relation '{name}' must be a "
                f"sequence of values (a list, tensor or array), not {type(column).__name__} "
                f"{column!r} (a dict holds whole columns; give rows as a list of tuples)", None)])


def _column_label(key, names) -> str:
    if isinstance(key, int) and 0 <= key < len(names):
        return f"'{names[key]}'"
    return str(key + 1) if isinstance(key, int) else repr(key)


def _check_given_domains(name: str, columns, domains, sources) -> None:
    """Values given from Python for range/enum columns must belong to their types (checked a
    column at a time; values of the wrong kind are left to the runtime's conversion)."""
    from nsl.runtime.io import show_value

    for j, (column, domain) in enumerate(zip(columns, domains)):
        if domain is None or len(column) == 0:
            continue
        if hasattr(column, "cpu"):
            column = column.cpu()
        try:
            i = domain.first_outside(column)
        except (TypeError, ValueError, OverflowError):
            continue
        if i is not None:
            value = column[i].item() if hasattr(column[i], "item") else column[i]
            raise CompileError([error(f"row {i + 1} of relation '{name}': column {j + 1} has type "
                                      f"{domain.text}, but its value is {show_value(value)}", None)],
                               sources)


def load_file(path: str, types, origin, sources, domains=None, names=None):
    from nsl.runtime.errors import FactFileError
    from nsl.runtime.io import load_facts

    shown = shown_path(path)
    named = origin if origin is not None else Span.unknown(no_nul(shown))  # where it is named
    if not os.path.exists(path):
        why = " (a path cannot hold a NUL character)" if "\0" in path else ""
        raise CompileError([error(f"fact file '{no_nul(shown)}' does not exist{why}", named)], sources)
    try:
        return load_facts(path, types, domains, names)
    except FactFileError as exc:
        if not exc.line:  # the whole file: where it is named, as a missing file is
            raise CompileError([error(f"fact file '{no_nul(shown)}' {exc.problem}", named)],
                               sources) from None
        span = Span(shown, exc.line, exc.col, exc.line, exc.col)
        sources.add(shown, _read_text(path))
        raise CompileError([error(exc.message, span)], sources) from None


def shown_path(path: str) -> str:
    """A data file's path as diagnostics print it: relative to the current directory when
    the file is under it (as compilers print the files they were given), else as given."""
    try:
        relative = os.path.relpath(os.path.abspath(path))
    except ValueError:  # another drive (Windows)
        return os.path.normpath(path)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return os.path.normpath(path)
    return relative


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:  # as load_facts reads it
            return f.read()
    except OSError:
        return ""
