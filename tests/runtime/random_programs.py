"""Hypothesis strategy: random stratified IR programs (joins, antijoins, filters, maps,
aggregates, recursion incl. non-linear) with a random EDB, in naive and semi-naive form."""
from __future__ import annotations

from hypothesis import strategies as st

from nsl.compiler import ir

from ir_builders import W, agg, binop, facts, lit, module, rel, rule, stratum, unop, v

EDB = {"e": ("int", "int"), "f": ("int", "int"), "g": ("int",)}
VARS = ["x", "y", "z", "w"]
ARITH = ["add", "sub", "mul", "div", "mod", "min", "max"]


@st.composite
def term(draw, bound, allow_new=True):
    kind = draw(st.sampled_from(["var"] * 10 + ["lit", "wild"]))
    if kind == "lit":
        return lit(draw(st.integers(0, 3)))
    if kind == "wild":
        return W
    pool = VARS if allow_new else sorted(bound)
    if not pool:
        return W
    return v(draw(st.sampled_from(pool)))


@st.composite
def expr(draw, bound, depth=0):
    if depth >= 2 or draw(st.booleans()):
        if draw(st.integers(0, 3)) == 0 or not bound:
            return lit(draw(st.integers(-3, 4)))
        return v(draw(st.sampled_from(sorted(bound))))
    if draw(st.integers(0, 5)) == 0:
        return unop(draw(st.sampled_from(["neg", "abs"])), draw(expr(bound, depth + 1)))
    return binop(draw(st.sampled_from(ARITH)), draw(expr(bound, depth + 1)),
                 draw(expr(bound, depth + 1)), "int")


@st.composite
def rule_for(draw, head, arity, lower, recursive):
    """One rule deriving ``head``; body atoms over EDB, ``lower`` relations and maybe ``head``."""
    ops, bound, rec_atoms = [], set(), 0
    sources = list(EDB) + list(lower)
    arities = {**{k: len(t) for k, t in EDB.items()}, **lower, head: arity}
    for i in range(draw(st.sampled_from([1, 1, 2, 2, 3]))):
        rel_name = head if recursive and (i == 0 or draw(st.integers(0, 3)) == 0) \
            else draw(st.sampled_from(sources))
        rec_atoms += rel_name == head
        args = tuple(draw(term(bound)) for _ in range(arities[rel_name]))
        ops.append(ir.Join(rel_name, "full", args))
        bound |= {a.name for a in args if isinstance(a, ir.ColRef)}
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["map", "filter", "anti", "agg", "agg"]))
        if kind == "map" and bound:
            e = draw(expr(bound))
            if recursive:  # keep recursion finite: values stay in (-5, 5)
                e = binop("mod", e, lit(5), "int")
            name = f"m{len(ops)}"
            ops.append(ir.Map(name, e))
            bound.add(name)
        elif kind == "filter" and bound:
            ops.append(ir.Filter(binop(draw(st.sampled_from(list(ir.CMP_OPS))),
                                       draw(expr(bound, 1)), draw(expr(bound, 1)), "bool")))
        elif kind == "anti" and bound:
            name = draw(st.sampled_from(sources))
            args = tuple(draw(term(bound, allow_new=False)) for _ in range(arities[name]))
            ops.append(ir.AntiJoin(name, args))
        elif kind == "agg":
            ops.append(draw(aggregate(bound, sources, arities, len(ops))))
            bound |= set(ops[-1].results)
    head_args = tuple(v(draw(st.sampled_from(sorted(bound)))) if bound and draw(st.integers(0, 5))
                      else lit(draw(st.integers(0, 3))) for _ in range(arity))
    ops.append(ir.Insert(head, head_args))
    return ir.Rule(f"{head}_{len(ops)}", tuple(ops)), rec_atoms


@st.composite
def aggregate(draw, bound, sources, arities, uid):
    name = draw(st.sampled_from(sources))
    body_vars = [f"b{uid}_{i}" for i in range(2)]
    args = []
    for _ in range(arities[name]):
        choice = draw(st.integers(0, 4))
        if choice == 0 and bound:
            args.append(v(draw(st.sampled_from(sorted(bound)))))
        elif choice == 1:
            args.append(W)
        else:
            args.append(v(draw(st.sampled_from(body_vars))))
    args = tuple(args)
    keys = tuple(sorted({a.name for a in args if isinstance(a, ir.ColRef) and a.name in bound}))
    local = sorted({a.name for a in args if isinstance(a, ir.ColRef) and a.name not in bound})
    op = draw(st.sampled_from(["count", "sum", "min", "max", "argmin", "argmax",
                               "exists", "not_exists"]))
    if op in ("sum", "min", "max", "argmin", "argmax") and not local:
        op = "count"
    vars_ = tuple(draw(st.permutations(local)))[:draw(st.integers(1, 2))] if local else ()
    body = [ir.Join(name, "full", args)]
    if draw(st.booleans()) and local:
        body.append(ir.Filter(binop("ne", v(local[0]), lit(draw(st.integers(0, 3))), "bool")))
    res = f"r{uid}"
    if op in ("exists", "not_exists"):
        return agg(op, (), vars_, keys, body)
    if op in ("argmin", "argmax"):
        results = tuple(f"{res}_{i}" for i in range(len(vars_)))
        return agg(op, results, vars_, keys, body, objective=v(draw(st.sampled_from(local))))
    return agg(op, (res,), vars_[:1] if op != "count" else vars_, keys, body)


@st.composite
def program(draw):
    """``(naive_module, semi_naive_module, inputs)``."""
    n_idb = draw(st.integers(1, 3))
    lower, strata_naive, strata_semi, relations = {}, [], [], []
    for i in range(n_idb):
        head, arity = f"p{i}", draw(st.integers(0, 2))
        rules = [draw(rule_for(head, arity, lower, recursive=False))]
        rules += [draw(rule_for(head, arity, lower, recursive=True))
                  for _ in range(draw(st.integers(0, 2)))]
        init = [r for r, n in rules if n == 0]
        loop = [r for r, n in rules if n > 0]
        strata_naive.append(stratum(head, init=init, loop=loop))
        strata_semi.append(stratum(head, init=init, loop=[d for r in loop for d in deltas(r, head)]))
        relations.append(rel(head, *(["int"] * arity)))
        lower[head] = arity
    edb_rels = [rel(k, *t, kind="input") for k, t in EDB.items()]
    inputs = {k: draw(st.lists(st.tuples(*[st.integers(0, 3)] * len(t)), min_size=2, max_size=10))
              for k, t in EDB.items()}
    return (module(edb_rels + relations, strata_naive), module(edb_rels + relations, strata_semi),
            inputs)


def deltas(r: ir.Rule, head: str):
    """The semi-naive versions of a rule: one per recursive atom, that atom reading delta."""
    positions = [i for i, op in enumerate(r.ops) if isinstance(op, ir.Join) and op.rel == head]
    out = []
    for p in positions:
        ops = list(r.ops)
        ops[p] = ir.Join(head, "delta", ops[p].args)
        out.append(ir.Rule(r.name + f"_d{p}", tuple(ops)))
    return out


__all__ = ["program", "facts"]
