"""A tiny, obviously-correct reference evaluator for IR modules (bool provenance).

Pure Python: a relation is a set of tuples, a binding table a list of dicts,
and every stratum iterates *all* its rules (reading ``full`` for ``delta``)
until nothing changes. Slow on purpose: every rule is the textbook definition.
"""
from __future__ import annotations

import math

from nsl.compiler import ir

MASK = (1 << 64) - 1


class DivZero(Exception):
    pass


def wrap(x: int) -> int:
    """Two's-complement 64-bit wrap-around."""
    x &= MASK
    return x - (1 << 64) if x >= 1 << 63 else x


def cdiv(a: int, b: int) -> int:
    if b == 0:
        raise DivZero
    q = abs(a) // abs(b)
    return wrap(q if (a >= 0) == (b >= 0) else -q)


def cmod(a: int, b: int) -> int:
    if b == 0:
        raise DivZero
    return wrap(a - b * cdiv(a, b))


def ipow(a: int, b: int) -> int:
    if b >= 0:
        return wrap(pow(a, b, 1 << 64))
    if a == 0:
        raise DivZero
    return 1 if a == 1 else (-1 if b % 2 else 1) if a == -1 else 0


def ev(e, b: dict):
    if isinstance(e, ir.ColRef):
        return b[e.name]
    if isinstance(e, ir.Lit):
        return float(e.value) if e.type == "float" else e.value
    if isinstance(e, ir.UnExpr):
        x = ev(e.operand, b)
        y = -x if e.op == "neg" else abs(x)
        return y if isinstance(y, float) else wrap(y)
    x, y = ev(e.left, b), ev(e.right, b)
    op = e.op
    if op in ir.CMP_OPS:
        return {"eq": lambda: x == y, "ne": lambda: x != y, "lt": lambda: x < y,
                "le": lambda: x <= y, "gt": lambda: x > y, "ge": lambda: x >= y}[op]()
    if op == "concat":
        return x + y
    if e.type == "float":
        x, y = float(x), float(y)
        if op in ("div", "mod") and y == 0:
            raise DivZero
        fops = {"add": lambda: x + y, "sub": lambda: x - y, "mul": lambda: x * y,
                "min": lambda: min(x, y), "max": lambda: max(x, y), "div": lambda: x / y,
                "mod": lambda: math.fmod(x, y), "pow": lambda: x ** y}
        return fops[op]()
    if op in ("min", "max"):
        return min(x, y) if op == "min" else max(x, y)
    if op == "div":
        return cdiv(x, y)
    if op == "mod":
        return cmod(x, y)
    if op == "pow":
        return ipow(x, y)
    return wrap({"add": x + y, "sub": x - y, "mul": x * y}[op])


def match(args, fact, b):
    """The binding ``b`` extended so that ``args`` match ``fact``, or None."""
    out = dict(b)
    for a, val in zip(args, fact):
        if isinstance(a, ir.Lit):
            if ev(a, out) != val:
                return None
        elif isinstance(a, ir.ColRef):
            if a.name in out:
                if out[a.name] != val:
                    return None
            else:
                out[a.name] = val
    return out


def run_ops(ops, bindings, db, out):
    for op in ops:
        nxt = []
        for b in bindings:
            if isinstance(op, ir.Join):
                nxt += [m for f in db[op.rel] if (m := match(op.args, f, b)) is not None]
            elif isinstance(op, ir.AntiJoin):
                if not any(match(op.args, f, b) is not None for f in db[op.rel]):
                    nxt.append(b)
            elif isinstance(op, ir.Filter):
                try:
                    if ev(op.cond, b):
                        nxt.append(b)
                except DivZero:
                    pass
            elif isinstance(op, ir.Map):
                try:
                    nxt.append({**b, op.var: ev(op.expr, b)})
                except DivZero:
                    pass
            elif isinstance(op, ir.Weight):
                if op.prob > 0:
                    nxt.append(b)
            elif isinstance(op, ir.Aggregate):
                nxt += aggregate(op, b, db)
            elif isinstance(op, ir.Insert):
                try:
                    out.add((op.rel, tuple(ev(e, b) for e in op.exprs)))
                except DivZero:
                    pass
                nxt.append(b)
            else:
                raise NotImplementedError(type(op).__name__)
        bindings = nxt
    return bindings


def aggregate(op: ir.Aggregate, b: dict, db):
    """The Aggregate docstring, for one outer row."""
    start = {k: b[k] for k in op.keys}
    rows = [r for alt in op.body for r in run_ops(alt, [start], db, set())]
    if op.op in ("exists", "not_exists"):
        return [b] if bool(rows) == (op.op == "exists") else []
    if op.op in ("argmin", "argmax"):
        scored = []
        for r in rows:
            try:
                scored.append((ev(op.objective, r), tuple(r[v] for v in op.vars)))
            except DivZero:
                pass
        if not scored:
            return []
        best = (min if op.op == "argmin" else max)(s for s, _ in scored)
        wins = sorted({w for s, w in scored if s == best})
        return [{**b, **dict(zip(op.results, w))} for w in wins]
    distinct = {tuple(r[v] for v in op.vars) for r in rows}
    if op.op == "count":
        return [{**b, op.results[0]: len(distinct)}]
    values = [d[0] for d in distinct]
    if op.op == "sum":
        zero = 0.0 if op.result_types and op.result_types[0] == "float" else 0
        total = sum(values, zero)
        return [{**b, op.results[0]: total if isinstance(total, float) else wrap(total)}]
    if not values:
        return []
    return [{**b, op.results[0]: (min if op.op == "min" else max)(values)}]


def convert(value, ty):
    if ty == "float":
        return float(value)
    if ty == "bool":
        return bool(value)
    return value


def naive_eval(module: ir.Module, inputs: dict | None = None) -> dict:
    """``{relation: set of tuples}`` for every relation of ``module``."""
    types = {r.name: r.types for r in module.relations}
    db = {r.name: set() for r in module.relations}
    for f in module.facts:
        db[f.rel] |= {tuple(convert(x, t) for x, t in zip(row.values, types[f.rel]))
                      for row in f.rows if row.prob is None or row.prob > 0}
    for name, rows in (inputs or {}).items():
        db[name] |= {tuple(convert(x, t) for x, t in zip(r, types[name])) for r in rows}
    for stratum in module.strata:
        while True:
            out = set()
            for rule in stratum.init + stratum.loop:
                run_ops(rule.ops, [{}], db, out)
            new = {(rel, tuple(convert(x, t) for x, t in zip(row, types[rel])))
                   for rel, row in out} - {(rel, row) for rel in db for row in db[rel]}
            if not new:
                break
            for rel, row in new:
                db[rel].add(row)
    return db
