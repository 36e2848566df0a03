"""Hypothesis strategies for random *valid* IR modules (``verify_module`` is empty).

``modules()`` draws schemas, facts, strata and rules whose op pipelines are
built the way the runtime reads them: a binding environment (variable → type)
grows op by op, so every variable is bound before use. Names are drawn from
pools that include keywords and odd characters, to exercise the printer's
quoting; literals include NaN (as ``math.nan``), infinities, huge ints and
strings with escapes. Reuse it for pass tests: ``@given(modules())``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import strategies as st

from nsl.compiler import ir
from nsl.lang.diagnostics import Span

SCALARS = ("int", "float", "str", "bool")
TENSORS = ("tensor[4]", "tensor[2,3]")
KNN_VECTOR = "tensor[4]"  # every drawn index holds 4-dimensional vectors
INDEX_NAMES = ("docs", "index")
REL_NAMES = ("edge", "path", "r1", "std.graph.reach", "p#0", "map", "in", "a b", "_",
             "é", "x`y", "", "done", "node", "query", "weight", "relation", "facts", "by",
             "true", "tensor", "int")
VAR_NAMES = ("a", "b", "c", "x", "y", "n", "m", "k", "_t", "v.1", "group", "true",
             "x y", "nan", "_", "ü", "inf", "false", "loc", "or", "from", "types", "objective",
             "recursive", "init", "loop", "rule", "stratum", "join", "map", "insert", "filter")
RULE_NAMES = ("path#0", "r", "rule", "std.x#3", "two words", "", "loc", "init", "join")
PROVENANCES = (("bool", ()), ("topk_proofs", (("k", 5),)), ("minmax", ()),
               ("custom", (("a", 1.5), ("b", "s\n"), ("c", True), ("d", -3))))


def canonical_nan(x: float) -> float:
    """NaN != NaN, so modules hold the one object ``math.nan`` (which the parser returns)."""
    return math.nan if x != x else x


def values(type_: str) -> st.SearchStrategy:
    if type_ == "int":
        return st.integers(-2**63, 2**63 - 1) | st.integers(-3, 3)
    if type_ == "float":
        return (st.floats().map(canonical_nan) | st.integers(-2, 2)
                | st.sampled_from([math.inf, -math.inf, math.nan, -0.0, 1e-300]))
    if type_ == "str":
        return st.text(max_size=6)
    return st.booleans()


spans = st.builds(Span, st.sampled_from(["a.nsl", "dir/x y.nsl", 'q"uote.nsl']),
                  st.integers(1, 99), st.integers(1, 80), st.integers(1, 99), st.integers(1, 80))
origins = st.none() | spans
probabilities = st.floats(0, 1) | st.sampled_from([0, 1])


@dataclass
class _Scope:
    """What a pipeline may read: relation schemas and strata order."""

    schemas: dict  # name -> column types
    readable: list  # relations a Join may read (full)
    earlier: list  # relations an AntiJoin or an aggregate body may read
    deltas: list  # relations whose delta a Join may read here
    targets: list  # relations an Insert may write


def fresh(draw, env: dict) -> str:
    name = draw(st.sampled_from(VAR_NAMES))
    i = 0
    while name in env:
        name, i = f"{name}{i}", i + 1
    return name


def exprs(draw, env: dict, type_: str, depth: int = 2) -> ir.Expr:
    """An expression of type ``type_`` over the bound variables in ``env``."""
    bound = sorted(v for v, t in env.items() if t == type_)
    choices = ["lit"] if type_ in SCALARS else []
    if bound:
        choices.append("var")
    if depth > 0 and type_ in SCALARS:
        choices.append("compound")
    choice = draw(st.sampled_from(choices))
    if choice == "lit":
        return ir.Lit(draw(values(type_)), type_)
    if choice == "var":
        return ir.ColRef(draw(st.sampled_from(bound)), type_)
    sub = depth - 1
    if type_ in ("int", "float"):
        if draw(st.booleans()):
            return ir.UnExpr(draw(st.sampled_from(ir.UNARY_OPS)), exprs(draw, env, type_, sub), type_)
        op = draw(st.sampled_from([o for o in ir.ARITH_OPS if o != "concat"]))
        if type_ == "int":
            operands = ("int", "int")
        else:
            operands = draw(st.sampled_from([("float", "float"), ("int", "float"), ("float", "int")]))
        return ir.BinExpr(op, exprs(draw, env, operands[0], sub), exprs(draw, env, operands[1], sub),
                          type_)
    if type_ == "str":
        op = draw(st.sampled_from(["concat", "min", "max"]))
        return ir.BinExpr(op, exprs(draw, env, "str", sub), exprs(draw, env, "str", sub), "str")
    operand = draw(st.sampled_from(SCALARS))
    ops = ("eq", "ne") if operand == "bool" else ir.CMP_OPS
    return ir.BinExpr(draw(st.sampled_from(ops)), exprs(draw, env, operand, sub),
                      exprs(draw, env, operand, sub), "bool")


def join_args(draw, env: dict, types, may_bind: bool) -> tuple:
    args = []
    for type_ in types:
        bound = sorted(v for v, t in env.items() if t == type_)
        choices = ["wild"] + (["lit"] if type_ in SCALARS else []) + (["var"] if bound else [])
        if may_bind:
            choices.append("new")
        choice = draw(st.sampled_from(choices))
        if choice == "wild":
            args.append(ir.Wild())
        elif choice == "lit":
            args.append(ir.Lit(draw(values(type_)), type_))
        elif choice == "var":
            args.append(ir.ColRef(draw(st.sampled_from(bound)), type_))
        else:
            name = fresh(draw, env)
            env[name] = type_
            args.append(ir.ColRef(name, type_))
    return tuple(args)


def op_sequence(draw, scope: _Scope, env: dict, length: int, in_aggregate: bool, depth: int) -> list:
    """``length`` random ops (no Insert) extending ``env`` as they bind variables."""
    ops = []
    for _ in range(length):
        kinds = ["join", "join", "join", "filter", "map", "weight", "neural"]
        if scope.earlier:
            kinds += ["antijoin"] + (["aggregate"] if depth > 0 else [])
        if any(t == KNN_VECTOR for t in env.values()):
            kinds += ["knn", "knn"]
        ops.append(_one_op(draw, draw(st.sampled_from(kinds)), scope, env, in_aggregate, depth))
    return ops


def _one_op(draw, kind: str, scope: _Scope, env: dict, in_aggregate: bool, depth: int) -> ir.Op:
    origin = draw(origins)
    if kind == "join":
        readable = scope.earlier if in_aggregate else scope.readable
        sources = [(r, "full") for r in readable]
        if not in_aggregate:  # a delta is read only by the loop rule's own pipeline
            sources += [(r, "delta") for r in scope.deltas]
        if not sources:
            return ir.Weight(1.0, origin)
        rel, version = draw(st.sampled_from(sources))
        return ir.Join(rel, version, join_args(draw, env, scope.schemas[rel], True), origin)
    if kind == "antijoin":
        rel = draw(st.sampled_from(scope.earlier))
        return ir.AntiJoin(rel, join_args(draw, env, scope.schemas[rel], False), origin)
    if kind == "filter":
        return ir.Filter(exprs(draw, env, "bool"), origin)
    if kind == "map":
        type_ = draw(st.sampled_from(SCALARS))
        expr = exprs(draw, env, type_)
        var = fresh(draw, env)
        env[var] = type_
        return ir.Map(var, expr, origin)
    if kind == "weight":
        return ir.Weight(draw(probabilities), origin)
    if kind == "neural":
        inputs = draw(st.lists(st.sampled_from(sorted(env)), max_size=2)) if env else []
        output = fresh(draw, env)
        env[output] = draw(st.sampled_from(SCALARS))  # the IR leaves it open; uses fix it
        return ir.Neural(draw(st.sampled_from(["digit", "net", "`odd`"])), tuple(inputs), output,
                         origin)
    if kind == "knn":
        vector = draw(st.sampled_from(sorted(v for v, t in env.items() if t == KNN_VECTOR)))
        k = exprs(draw, env, "int", 1)
        id_ = fresh(draw, env)
        env[id_] = "int"
        score = fresh(draw, env)
        env[score] = "float"
        return ir.Knn(draw(st.sampled_from(INDEX_NAMES)), vector, k, id_, score, origin)
    return aggregates(draw, scope, env, depth, origin)


def aggregates(draw, scope: _Scope, env: dict, depth: int, origin) -> ir.Aggregate:
    op = draw(st.sampled_from(ir.AGGREGATE_OPS))
    keys = tuple(draw(st.lists(st.sampled_from(sorted(v for v, t in env.items())), unique=True,
                               max_size=2))) if env else ()
    first = {k: env[k] for k in keys}
    body = [op_sequence(draw, scope, first, draw(st.integers(1, 3)), True, depth - 1)]
    var_types = _aggregate_vars(draw, op, first, body[0])
    for _ in range(draw(st.integers(0, 1))):
        inner = {k: env[k] for k in keys}
        alternative = op_sequence(draw, scope, inner, draw(st.integers(0, 2)), True, depth - 1)
        for var, type_ in var_types.items():
            if var not in inner:
                expr = exprs(draw, inner, type_)
                inner[var] = type_
                alternative.append(ir.Map(var, expr, None))
            elif inner[var] != type_:
                alternative = [ir.Map(v, exprs(draw, {}, t), None) for v, t in var_types.items()]
                break
        body.append(alternative)
    vars_ = tuple(var_types)
    objective = None
    if op in ("argmin", "argmax"):
        visible = {v: t for v, t in {**{k: env[k] for k in keys}, **var_types}.items()}
        objective = exprs(draw, visible, draw(st.sampled_from(["int", "float"])))
    result_count = {"count": 1, "sum": 1, "min": 1, "max": 1, "exists": 0,
                    "not_exists": 0}.get(op, len(vars_))
    types = ("int",) if op == "count" else tuple(var_types.values())[:result_count]
    results = []
    for type_ in types:
        name = fresh(draw, env)
        env[name] = type_
        results.append(name)
    result_types = types if draw(st.booleans()) else ()
    return ir.Aggregate(op, tuple(results), vars_, keys, tuple(tuple(a) for a in body),
                        objective, result_types, origin)


def _aggregate_vars(draw, op: str, env: dict, body: list) -> dict:
    """The aggregated variables (name → type), binding one with a Map when none fits."""
    wanted = {"sum": ("int", "float"), "min": SCALARS, "max": SCALARS}.get(op)
    if op in ("exists", "not_exists"):
        return {}
    candidates = sorted(v for v, t in env.items() if t in (wanted or SCALARS))
    if not candidates:
        type_ = "int" if op == "sum" else draw(st.sampled_from(SCALARS))
        expr = exprs(draw, env, type_)
        var = fresh(draw, env)
        env[var] = type_
        body.append(ir.Map(var, expr, None))
        candidates = [var]
    count = draw(st.integers(0 if op == "count" else 1, min(2, len(candidates))))
    if wanted:  # vars[0] is reduced; a second var only makes rows distinct
        first = [draw(st.sampled_from(candidates))]
        rest = sorted(v for v, t in env.items() if v != first[0] and t in SCALARS)
        chosen = first + draw(st.lists(st.sampled_from(rest), max_size=1)) if rest else first
    else:
        chosen = draw(st.lists(st.sampled_from(candidates), unique=True, min_size=count,
                               max_size=count))
    return {v: env[v] for v in chosen}


def checks(draw, var: str, type_: str) -> ir.Check:
    """A Check of ``var``: an int range, or a set of values of its type."""
    text = draw(st.text(max_size=8))
    if type_ == "int" and draw(st.booleans()):
        lo = draw(values("int"))
        hi = draw(st.integers(lo, min(lo + 10, 2**63 - 1)))
        return ir.Check(ir.ColRef(var, type_), text, lo, hi, origin=draw(origins))
    listed = tuple(draw(st.lists(values(type_), min_size=1, max_size=3)))
    return ir.Check(ir.ColRef(var, type_), text, values=listed, origin=draw(origins))


def rules(draw, scope: _Scope, name_pool=RULE_NAMES) -> ir.Rule:
    env: dict = {}
    ops = []
    vectors = [r for r in scope.readable if set(scope.schemas[r]) & set(TENSORS)]
    if vectors and draw(st.booleans()):  # else knn, which needs a bound vector, is rare
        rel = draw(st.sampled_from(vectors))
        args = []
        for type_ in scope.schemas[rel]:
            args.append(ir.ColRef(fresh(draw, env), type_))
            env[args[-1].name] = type_
        ops.append(ir.Join(rel, "full", tuple(args), draw(origins)))
    ops += op_sequence(draw, scope, env, draw(st.integers(0, 5)), False, 2)
    scalars = sorted(v for v, t in env.items() if t in SCALARS)
    for var in draw(st.lists(st.sampled_from(scalars), max_size=2)) if scalars else ():
        ops.append(checks(draw, var, env[var]))
    rel = draw(st.sampled_from(scope.targets))
    insert = ir.Insert(rel, tuple(exprs(draw, env, t, 1) for t in scope.schemas[rel]), draw(origins))
    return ir.Rule(draw(st.sampled_from(name_pool)), tuple(ops) + (insert,), draw(origins))


def _relation_types(draw, kind: str) -> tuple:
    types = draw(st.lists(st.sampled_from(SCALARS), max_size=3))
    if kind == "input" and draw(st.booleans()):  # vectors arrive at run time, never as facts
        types.insert(draw(st.integers(0, len(types))), draw(st.sampled_from(TENSORS)))
    return tuple(types)


def _facts(draw, rel: ir.Relation) -> ir.Facts:
    rows = []
    for _ in range(draw(st.integers(0, 3))):
        row_values = tuple(draw(values(t)) for t in rel.types)
        prob = draw(st.none() | probabilities)
        group = draw(st.none() | st.integers(0, 3))
        rows.append(ir.FactRow(row_values, prob, group))
    return ir.Facts(rel.name, tuple(rows))


@st.composite
def modules(draw, max_strata: int = 3) -> ir.Module:
    """A random module that verifies: schemas, facts, strata of rules, outputs, queries."""
    names = draw(st.lists(st.sampled_from(REL_NAMES), min_size=2, max_size=6, unique=True))
    n_base = draw(st.integers(1, max(1, len(names) - 2)))
    n_strata = draw(st.integers(0, max_strata))
    relations, stratum_of = [], {}
    for i, name in enumerate(names):
        kind = draw(st.sampled_from(["edb", "input"])) if i < n_base else "idb"
        source = draw(st.none() | st.text(max_size=5)) if kind == "input" else None
        relations.append(ir.Relation(name, _relation_types(draw, kind), kind, source, draw(origins)))
        if kind == "idb" and n_strata and draw(st.integers(0, 4)):
            stratum_of[name] = draw(st.integers(0, n_strata - 1))
    schemas = {r.name: r.types for r in relations}
    facts = tuple(_facts(draw, r) for r in relations
                  if r.kind == "edb" and not set(r.types) & set(TENSORS) and draw(st.booleans()))
    strata = []
    for index in range(n_strata):
        own = [n for n in names if stratum_of.get(n) == index]
        earlier = [n for n in names if stratum_of.get(n, -1) < index]
        recursive = bool(own) and draw(st.booleans())
        init_scope = _Scope(schemas, earlier + own, earlier, [], own)
        loop_scope = _Scope(schemas, earlier + own, earlier, own, own)
        init = tuple(rules(draw, init_scope) for _ in range(draw(st.integers(0, 2)))) if own else ()
        loop = tuple(rules(draw, loop_scope) for _ in range(draw(st.integers(0, 2)))) \
            if recursive else ()
        strata.append(ir.Stratum(tuple(own), recursive, init, loop))
    outputs = tuple(draw(st.lists(st.sampled_from(names), unique=True, max_size=3)))
    queries = tuple(_query(draw, r) for r in draw(st.lists(st.sampled_from(relations), max_size=2)))
    indexes = tuple(ir.Index(name, 4, "int8", draw(st.sampled_from(ir.INDEX_METRICS)),
                             draw(st.none() | st.integers(1, 8)),
                             draw(st.none() | st.text(max_size=5)), draw(origins))
                    for name in INDEX_NAMES)
    return ir.Module(tuple(relations), facts, tuple(strata), outputs, queries,
                     draw(st.sampled_from(PROVENANCES)), indexes)


def _query(draw, rel: ir.Relation) -> ir.QuerySpec:
    env: dict = {}
    return ir.QuerySpec(rel.name, join_args(draw, env, rel.types, True), draw(origins))
