"""Types of the built-in ``knn(index, vector, k, id, score)``.

``index`` names an ``index`` declaration; ``vector`` is a ``tensor[D]`` with
``D`` the index's ``dim`` (or a shapeless ``tensor``, checked at run time); ``k`` a positive int; ``id`` an int (a row number
of a ``.npy`` source, or the id stored in an index directory) and ``score`` a
float. Inference gives ``id`` and ``score`` their types; the check runs once
the rule's variable types are settled, so literal order does not matter.
"""
from __future__ import annotations

from nsl.lang import ast as A
from nsl.lang.check.indexes import index_options
from nsl.lang.check.symbols import SymbolTable, suggest
from nsl.lang.formatter_values import format_value

KNN_ARITY = 5


def is_knn(atom: A.Atom, table: SymbolTable) -> bool:
    info = table.relations.get(atom.rel)
    return info is not None and info.builtin and atom.rel == "knn" and len(atom.args) == KNN_ARITY


def infer_knn(atom: A.Atom, env: dict, set_var) -> None:
    """``id`` is an int and ``score`` a float."""
    _, _, _, ident, score = atom.args
    for arg, t in ((ident, "int"), (score, "float")):
        if isinstance(arg, A.Var):
            set_var(env, arg.name, t)


def check_knn(atom: A.Atom, env: dict, table: SymbolTable, report, expr_type) -> None:
    """Report each ill-typed argument of one ``knn`` atom (``report(message, span)``)."""
    index, vector, k, ident, score = atom.args
    dim = None
    if not isinstance(index, A.Var):
        report("knn's first argument names an index declared with `index`",
               getattr(index, "span", atom.span))
    elif index.name not in table.indexes:
        report(f"unknown index '{index.name}'" + suggest(index.name, table.indexes), index.span)
    else:
        dim = index_options(table.indexes[index.name]).get("dim")
    got = expr_type(vector, env)
    if dim is not None and got is not None and got not in (f"tensor[{dim}]", "tensor[]"):
        report(f"knn's vector must be tensor[{dim}] (the dimension of index '{index.name}'), "
               f"but {_what(vector)} is {got}", getattr(vector, "span", atom.span))
    elif dim is None and got is not None and not got.startswith("tensor["):
        report(f"knn's vector must be a tensor, but {_what(vector)} is {got}",
               getattr(vector, "span", atom.span))
    if isinstance(k, A.Const):
        if type(k.value) is not int or k.value < 1:
            report(f"knn's k must be a positive int, not {format_value(k.value)}", k.span)
    else:
        t = expr_type(k, env)
        if t is not None and t != "int":
            report(f"knn's k must be an int, but {_what(k)} is {t}", getattr(k, "span", atom.span))
    for arg, want, role in ((ident, "int", "id"), (score, "float", "score")):
        if isinstance(arg, A.Wildcard):
            continue
        t = expr_type(arg, env)
        if t is not None and t != want and not (want == "float" and t == "int"
                                                  and isinstance(arg, A.Const)):
            report(f"knn's {role} is {'an' if want == 'int' else 'a'} {want}, but {_what(arg)} is {t}",
                   getattr(arg, "span", atom.span))


def _what(arg) -> str:
    return f"variable '{arg.name}'" if isinstance(arg, A.Var) else "this value"
