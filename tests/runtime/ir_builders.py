"""Small helpers to write IR modules by hand in tests (no parser involved)."""
from __future__ import annotations

from nsl.compiler import ir

W = ir.Wild()


def v(name: str, ty: str = "int") -> ir.ColRef:
    return ir.ColRef(name, ty)


def lit(value, ty: str | None = None) -> ir.Lit:
    if ty is None:
        ty = {bool: "bool", int: "int", float: "float", str: "str"}[type(value)]
    return ir.Lit(value, ty)


def term(x):
    """A term from shorthand: str → int variable, ColRef/Lit/Wild as is, else a literal."""
    if isinstance(x, (ir.ColRef, ir.Lit, ir.Wild)):
        return x
    if isinstance(x, str):
        return v(x)
    return lit(x)


def expr(x):
    if isinstance(x, (ir.BinExpr, ir.UnExpr)):
        return x
    return term(x)


def join(rel: str, *args, delta: bool = False) -> ir.Join:
    return ir.Join(rel, "delta" if delta else "full", tuple(term(a) for a in args))


def anti(rel: str, *args) -> ir.AntiJoin:
    return ir.AntiJoin(rel, tuple(term(a) for a in args))


def filt(cond) -> ir.Filter:
    return ir.Filter(cond)


def bind(var: str, e) -> ir.Map:
    return ir.Map(var, expr(e))


def binop(op: str, left, right, ty: str | None = None) -> ir.BinExpr:
    left, right = expr(left), expr(right)
    if ty is None:
        if op in ir.CMP_OPS:
            ty = "bool"
        elif op == "concat":
            ty = "str"
        else:
            ty = "float" if "float" in (left.type, right.type) else left.type
    return ir.BinExpr(op, left, right, ty)


def unop(op: str, x) -> ir.UnExpr:
    x = expr(x)
    return ir.UnExpr(op, x, x.type)


def insert(rel: str, *exprs) -> ir.Insert:
    return ir.Insert(rel, tuple(expr(e) for e in exprs))


def agg(op, results, vars, keys, *body, objective=None, result_types=None) -> ir.Aggregate:
    """``body``: one pipeline (a tuple/list of ops) per alternative."""
    if result_types is None:
        result_types = ("int",) * len(results)
    return ir.Aggregate(op, tuple(results), tuple(vars), tuple(keys),
                        tuple(tuple(alt) for alt in body), objective, tuple(result_types))


def rule(*ops, name: str = "r") -> ir.Rule:
    return ir.Rule(name, tuple(ops))


def rel(name: str, *types: str, kind: str = "idb") -> ir.Relation:
    return ir.Relation(name, tuple(types), kind)


def facts(name: str, rows, probs=None) -> ir.Facts:
    probs = probs or [None] * len(rows)
    return ir.Facts(name, tuple(ir.FactRow(tuple(r) if isinstance(r, (tuple, list)) else (r,), p)
                                for r, p in zip(rows, probs)))


def stratum(relations, init=(), loop=()) -> ir.Stratum:
    if isinstance(relations, str):
        relations = (relations,)
    return ir.Stratum(tuple(relations), bool(loop), tuple(init), tuple(loop))


def module(relations, strata, facts=(), outputs=None) -> ir.Module:
    relations = tuple(relations)
    if outputs is None:
        outputs = tuple(r.name for r in relations if r.kind == "idb")
    return ir.Module(relations, tuple(facts), tuple(strata), tuple(outputs))


def transitive_closure(semi_naive: bool = True) -> ir.Module:
    """edge (input) → path, left-linear: path(a, c) :- path(a, b), edge(b, c)."""
    return module(
        [rel("edge", "int", "int", kind="input"), rel("path", "int", "int")],
        [stratum("path",
                 init=[rule(join("edge", "a", "b"), insert("path", "a", "b"))],
                 loop=[rule(join("path", "a", "b", delta=semi_naive), join("edge", "b", "c"),
                            insert("path", "a", "c"))])])


def rows_of(mod: ir.Module, rel_name: str, inputs=None, **kw):
    """Execute ``mod`` and return the sorted rows of ``rel_name``."""
    from nsl.runtime import execute
    return execute(mod, inputs=inputs or {}, **kw).rows(rel_name)


def one_rule(out_types, ops, inputs_types: dict, out="out") -> ir.Module:
    """A module with input relations ``inputs_types`` and one non-recursive rule into ``out``."""
    rels = [rel(n, *t, kind="input") for n, t in inputs_types.items()]
    return module(rels + [rel(out, *out_types)], [stratum(out, init=[rule(*ops)])])
