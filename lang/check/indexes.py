"""``index NAME(dim = D, quant = int8, metric = ip|cosine|l2[, rerank = R]) from "file"``.

``index_options`` reads a declaration's options (the lowering uses it too);
``check_indexes`` reports every malformed option at its span. Whether the file
exists and holds vectors of the declared dimension is decided at run time.
"""
from __future__ import annotations

from nsl.lang import ast as A
from nsl.lang.check.symbols import SymbolTable
from nsl.lang.diagnostics import Diagnostic, error

INDEX_OPTIONS = ("dim", "quant", "metric", "rerank")
QUANTS = ("int8",)
METRICS = ("ip", "cosine", "l2")


def _word(value) -> str | None:
    """A bare name (``cosine``) or a string (``"cosine"``) option value."""
    if isinstance(value, A.Var):
        return value.name
    if isinstance(value, A.Const) and isinstance(value.value, str):
        return value.value
    return None


def _positive_int(value) -> int | None:
    if isinstance(value, A.Const) and type(value.value) is int and value.value > 0:
        return value.value
    return None


_READERS = {"dim": _positive_int, "rerank": _positive_int, "quant": _word, "metric": _word}
_ALLOWED = {"quant": QUANTS, "metric": METRICS}


def index_options(decl: A.IndexDecl, diags: list[Diagnostic] | None = None) -> dict:
    """``{"dim", "quant", "metric", "rerank"}`` of a declaration; problems go to ``diags``.

    A missing or malformed option is absent from the result (``rerank`` may be None).
    """
    diags = diags if diags is not None else []
    out: dict = {"rerank": None}
    seen: set = set()
    for arg in decl.args:
        if not isinstance(arg, A.KwArg):
            diags.append(error("index options are written `name = value` "
                               f"(known: {', '.join(INDEX_OPTIONS)})", getattr(arg, "span", decl.span)))
            continue
        reader = _READERS.get(arg.name)
        if reader is None:
            diags.append(error(f"unknown index option '{arg.name}' (known: {', '.join(INDEX_OPTIONS)})",
                               arg.span))
            continue
        if arg.name in seen:
            diags.append(error(f"index option '{arg.name}' is given twice", arg.span))
            continue
        seen.add(arg.name)
        value = reader(arg.value)
        allowed = _ALLOWED.get(arg.name)
        if value is None or (allowed is not None and value not in allowed):
            wanted = ("a positive integer" if allowed is None else
                      "one of " + ", ".join(allowed) if len(allowed) > 1 else allowed[0])
            diags.append(error(f"index option '{arg.name}' must be {wanted}",
                               getattr(arg.value, "span", arg.span)))
            continue
        out[arg.name] = value
    return out


def check_indexes(program: A.Program, table: SymbolTable, diags: list[Diagnostic]) -> None:
    """Every index declaration has known, well-typed options, the required ones, and a file."""
    for stmt in program.statements:
        if not isinstance(stmt, A.IndexDecl):
            continue
        local: list[Diagnostic] = []
        options = index_options(stmt, local)
        diags.extend(local)
        missing = [o for o in ("dim", "quant", "metric")
                   if o not in options and not any(isinstance(a, A.KwArg) and a.name == o
                                                    for a in stmt.args)]
        if missing:
            diags.append(error(f"index '{stmt.name}' needs option{'s' * (len(missing) > 1)} "
                               + ", ".join(f"`{m} = ...`" for m in missing), stmt.span))
        if stmt.source is None:
            diags.append(error(f"index '{stmt.name}' needs `from \"file\"` (a .npy file of vectors "
                               "or an index directory made by `nslc index build`)", stmt.span))
