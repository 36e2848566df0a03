"""``nslc compile --emit ast``: an indented, deterministic dump of the AST with spans."""
from __future__ import annotations

import dataclasses

from nsl.lang.diagnostics import Span


def dump(node, with_spans: bool = True) -> str:
    lines: list[str] = []
    _dump(node, 0, lines, with_spans, label="")
    return "\n".join(lines) + "\n"


def _dump(node, depth: int, lines: list[str], with_spans: bool, label: str) -> None:
    pad = "  " * depth + (f"{label}: " if label else "")
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        span = getattr(node, "span", None)
        where = f"  @{span.line}:{span.col}" if with_spans and isinstance(span, Span) and span.line else ""
        scalars, children = [], []
        for f in dataclasses.fields(node):
            if f.name == "span":
                continue
            value = getattr(node, f.name)
            if _is_scalar(value):
                scalars.append(f"{f.name}={value!r}")
            else:
                children.append((f.name, value))
        lines.append(f"{pad}{type(node).__name__}({', '.join(scalars)}){where}")
        for name, value in children:
            _dump(value, depth + 1, lines, with_spans, name)
    elif isinstance(node, (tuple, list)):
        if not node:
            lines.append(f"{pad}[]")
            return
        lines.append(f"{pad}[")
        for item in node:
            _dump(item, depth + 1, lines, with_spans, "")
        lines.append("  " * depth + "]")
    else:
        lines.append(f"{pad}{node!r}")


def _is_scalar(value) -> bool:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    return isinstance(value, tuple) and all(isinstance(v, (str, int, float, bool)) for v in value)
