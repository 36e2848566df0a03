"""``nslc compile --emit ast``: an indented, deterministic dump of the AST with spans."""
from __future__ import annotations

import dataclasses

from nsl.lang.diagnostics import Span


def dump(node, with_spans: bool = True) -> str:
    """Spans in the dumped program's own file print as ``@line:col``; spans in another
    file (a statement spliced in by ``import``) as ``@file:line:col``."""
    lines: list[str] = []
    home = getattr(node, "file", None)
    # An explicit stack, not recursion: an expression nests as deep as it is long. Each
    # entry is a node to dump (depth, label) or, as a str, a line to write as it is.
    stack: list = [(node, 0, "")]
    while stack:
        entry = stack.pop()
        if isinstance(entry, str):
            lines.append(entry)
        else:
            stack.extend(reversed(_dump(*entry, lines, with_spans, home)))
    return "\n".join(lines) + "\n"


def _dump(node, depth: int, label: str, lines: list[str], with_spans: bool, home) -> list:
    """Write ``node``'s own line; what follows it, in order (children and closing lines)."""
    pad = "  " * depth + (f"{label}: " if label else "")
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        span = getattr(node, "span", None)
        where = ""
        if with_spans and isinstance(span, Span) and span.line:
            file = f"{span.file}:" if home is not None and span.file != home else ""
            where = f"  @{file}{span.line}:{span.col}"
        scalars, children = [], []
        for f in dataclasses.fields(node):
            if f.name == "span":
                continue
            value = getattr(node, f.name)
            if _is_scalar(value):
                scalars.append(f"{f.name}={value!r}")
            else:
                children.append((value, depth + 1, f.name))
        lines.append(f"{pad}{type(node).__name__}({', '.join(scalars)}){where}")
        return children
    if isinstance(node, (tuple, list)):
        if not node:
            lines.append(f"{pad}[]")
            return []
        lines.append(f"{pad}[")
        return [(item, depth + 1, "") for item in node] + ["  " * depth + "]"]
    lines.append(f"{pad}{node!r}")
    return []


def _is_scalar(value) -> bool:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    return isinstance(value, tuple) and all(isinstance(v, (str, int, float, bool)) for v in value)
