"""A tiny, obviously-correct Datalog evaluator and a generator of random stratified programs.

Programs are built as plain Python data, rendered to NSL text for the engine,
and evaluated here by brute force: each rule enumerates every assignment of its
variables over the active domain and keeps those that satisfy the body. Slow
and simple on purpose; it shares no code with nslc.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

# Literals: ("pos", rel, args) ("neg", rel, args) ("cmp", op, a, b) ("bind", var, (op, a, b, mod))
#           ("agg", op, result, vars, rel, args)  -- result = op over distinct `vars` of rel(args)
#           ("exists", negated, rel, args)
# args are variable names (str), ints, or "_".


@dataclass
class Rule:
    head: str
    head_args: tuple
    body: list


@dataclass
class Program:
    arity: dict[str, int]
    level: dict[str, int]
    facts: dict[str, set] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)

    def render(self, shuffle=None) -> str:
        lines = []
        for rel in sorted(self.arity):
            if not self.facts.get(rel) and not any(r.head == rel for r in self.rules):
                params = ", ".join(f"c{i}: int" for i in range(self.arity[rel]))
                lines.append(f"rel {rel}({params})" if params else f"rel {rel}")
        for rel, rows in sorted(self.facts.items()):
            for row in sorted(rows):
                lines.append(f"{rel}({', '.join(map(str, row))})." if row else f"{rel}.")
        for rule in self.rules:
            body = list(rule.body)
            if shuffle is not None:
                shuffle(body)
            head = _atom(rule.head, rule.head_args)
            lines.append(f"{head} :- {', '.join(_literal(l) for l in body)}." if body else f"{head}.")
        return "\n".join(lines) + "\n"


def _atom(rel, args) -> str:
    return f"{rel}({', '.join(map(str, args))})" if args else rel


def _literal(lit) -> str:
    kind = lit[0]
    if kind == "pos":
        return _atom(lit[1], lit[2])
    if kind == "neg":
        return "not " + _atom(lit[1], lit[2])
    if kind == "cmp":
        return f"{lit[2]} {lit[1]} {lit[3]}"
    if kind == "bind":
        op, a, b, mod = lit[2]
        return f"{lit[1]} = ({a} {op} {b}) % {mod}"
    if kind == "agg":
        _, op, result, vars_, rel, args = lit
        return f"{result} = {op}({', '.join(vars_)}: {_atom(rel, args)})"
    if kind == "exists":
        _, negated, vars_, rel, args = lit
        return ("not " if negated else "") + f"exists({', '.join(vars_)}: {_atom(rel, args)})"
    raise ValueError(kind)


# ---- evaluation ---------------------------------------------------------------------
def evaluate(program: Program) -> dict[str, set]:
    db = {rel: set(program.facts.get(rel, ())) for rel in program.arity}
    for level in sorted(set(program.level.values())):
        rules = [r for r in program.rules if program.level[r.head] == level]
        while True:
            new = {(r.head, row) for r in rules for row in _fire(r, db)}
            added = {(h, row) for h, row in new if row not in db[h]}
            if not added:
                break
            for h, row in added:
                db[h].add(row)
    return db


def _fire(rule: Rule, db) -> set:
    out = set()
    for env in _solve(rule.body, 0, {}, db):
        out.add(tuple(env[a] if isinstance(a, str) else a for a in rule.head_args))
    return out


def _match(args, row, env):
    env = dict(env)
    for a, v in zip(args, row):
        if a == "_":
            continue
        if isinstance(a, int):
            if a != v:
                return None
        elif a in env:
            if env[a] != v:
                return None
        else:
            env[a] = v
    return env


def _solve(body, i, env, db):
    if i == len(body):
        yield env
        return
    lit = body[i]
    kind = lit[0]
    if kind == "pos":
        for row in list(db[lit[1]]):
            e = _match(lit[2], row, env)
            if e is not None:
                yield from _solve(body, i + 1, e, db)
    elif kind == "neg":
        if not any(_match(lit[2], row, env) is not None for row in db[lit[1]]):
            yield from _solve(body, i + 1, env, db)
    elif kind == "cmp":
        a, b = (env[x] if isinstance(x, str) else x for x in (lit[2], lit[3]))
        if {"<": a < b, "<=": a <= b, "!=": a != b, "==": a == b, ">": a > b}[lit[1]]:
            yield from _solve(body, i + 1, env, db)
    elif kind == "bind":
        op, a, b, mod = lit[2]
        a, b = (env[x] if isinstance(x, str) else x for x in (a, b))
        value = _c_remainder({"+": a + b, "*": a * b, "-": a - b}[op], mod)
        if lit[1] in env:
            if env[lit[1]] == value:
                yield from _solve(body, i + 1, env, db)
        else:
            yield from _solve(body, i + 1, {**env, lit[1]: value}, db)
    elif kind == "agg":
        _, op, result, vars_, rel, args = lit
        groups = {tuple(e[v] for v in vars_) for row in db[rel]
                  for e in [_match(args, row, env)] if e is not None}
        if op == "count":
            value = len(groups)
        elif op == "sum":
            value = sum(g[0] for g in groups)
        elif not groups:
            return
        else:
            value = (min if op == "min" else max)(g[0] for g in groups)
        if result in env:
            if env[result] == value:
                yield from _solve(body, i + 1, env, db)
        else:
            yield from _solve(body, i + 1, {**env, result: value}, db)
    elif kind == "exists":
        _, negated, vars_, rel, args = lit
        found = any(_match(args, row, env) is not None for row in db[rel])
        if found != negated:
            yield from _solve(body, i + 1, env, db)


def _c_remainder(a: int, b: int) -> int:
    """NSL's `%` on ints: the remainder of division truncated toward zero (as in C)."""
    r = abs(a) % abs(b)
    return r if a >= 0 else -r


# ---- generation (hypothesis) ----------------------------------------------------------
def programs(st):
    """A hypothesis strategy of random stratified, safe, terminating programs."""

    @st.composite
    def build(draw):
        n_edb, n_idb = draw(st.integers(1, 3)), draw(st.integers(1, 4))
        arity, level = {}, {}
        for i in range(n_edb):
            arity[f"e{i}"] = draw(st.integers(0, 2))
            level[f"e{i}"] = 0
        for i in range(n_idb):
            arity[f"r{i}"] = draw(st.integers(0, 2))
            level[f"r{i}"] = draw(st.integers(1, 3))
        prog = Program(arity, level)
        domain = st.integers(0, 4)
        for i in range(n_edb):
            rel = f"e{i}"
            rows = draw(st.sets(st.tuples(*[domain] * arity[rel]), max_size=8))
            if rows:
                prog.facts[rel] = rows
        for i in range(n_idb):
            head = f"r{i}"
            for _ in range(draw(st.integers(1, 3))):
                prog.rules.append(_rule(draw, st, prog, head))
        return prog

    return build()


def _rule(draw, st, prog: Program, head: str) -> Rule:
    lvl = prog.level[head]
    same_or_lower = sorted(r for r in prog.arity if prog.level[r] <= lvl)
    lower = sorted(r for r in prog.arity if prog.level[r] < lvl)
    names = ["a", "b", "c", "d"]
    body, bound = [], []
    for _ in range(draw(st.integers(1, 2))):
        rel = draw(st.sampled_from(same_or_lower))
        args = tuple(draw(st.one_of(st.sampled_from(names), st.integers(0, 4), st.just("_")))
                     for _ in range(prog.arity[rel]))
        body.append(("pos", rel, args))
        bound += [a for a in args if isinstance(a, str) and a != "_" and a not in bound]
    term = st.one_of(st.sampled_from(bound), st.integers(0, 4)) if bound else st.integers(0, 4)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["neg", "cmp", "bind", "agg", "exists"]))
        if kind == "cmp":
            body.append(("cmp", draw(st.sampled_from(["<", "<=", "!=", "==", ">"])), draw(term), draw(term)))
        elif kind == "bind":
            var = f"v{len(body)}"
            body.append(("bind", var, (draw(st.sampled_from("+*-")), draw(term), draw(term), 5)))
            bound.append(var)
        elif lower and kind == "neg":
            rel = draw(st.sampled_from(lower))
            args = tuple(draw(st.one_of(term, st.just("_"))) for _ in range(prog.arity[rel]))
            body.append(("neg", rel, args))
        elif lower and kind in ("agg", "exists"):
            rel = draw(st.sampled_from([r for r in lower if prog.arity[r] > 0] or lower))
            local = ["x", "y"]
            args = tuple(draw(st.one_of(term, st.sampled_from(local), st.just("_")))
                         for _ in range(prog.arity[rel]))
            used = [a for a in dict.fromkeys(args) if a in local]
            if not used:
                continue
            if kind == "exists":
                body.append(("exists", draw(st.booleans()), tuple(used), rel, args))
            else:
                op = draw(st.sampled_from(["count", "sum", "min", "max"]))
                var = f"n{len(body)}"
                body.append(("agg", op, var, tuple(used[:1] if op != "count" else used), rel, args))
                bound.append(var)
    head_args = tuple(draw(st.sampled_from(bound)) if bound and draw(st.booleans()) else draw(st.integers(0, 4))
                      for _ in range(prog.arity[head]))
    return Rule(head, head_args, body)


