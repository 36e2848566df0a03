"""Type inference for relation columns and rule variables, then type checking.

Column types come from declarations where given and are otherwise inferred:
facts give their constants' types, rules propagate variable types between
body and head, to a fixpoint. A second pass then checks every occurrence
against the settled types and reports each mismatch once.
Types are strings: ``int float str bool tensor[d,...]``; declared range and
enum types stand for their base type.
"""
from __future__ import annotations

from typing import Union

from nsl.lang import ast as A
from nsl.lang.check.knn_types import check_knn, infer_knn, is_knn
from nsl.lang.check.symbols import SymbolTable
from nsl.lang.diagnostics import Diagnostic, error, note
from nsl.lang.formatter_values import format_value
from nsl.lang.walk import run_recursive

NUMERIC = ("int", "float")


def resolve_type(texpr: A.TypeExpr, table: SymbolTable, seen=()) -> str | None:
    """The base type a type expression stands for (None if unknown)."""
    name = texpr.name
    if name == "real":
        return "float"
    if name == "tensor":
        return "tensor[" + ",".join(str(d) for d in (texpr.dims or ())) + "]"
    if name in ("int", "float", "bool", "str"):
        return name
    decl = table.types.get(name)
    if decl is None or name in seen:
        return None
    d = decl.definition
    if isinstance(d, A.RangeType):
        return "int"
    if isinstance(d, A.EnumType):
        return const_type(d.values[0]) if d.values else None
    return resolve_type(d, table, seen + (name,))


Domain = Union[A.RangeType, A.EnumType]  # a declared finite type


def declared_domain(texpr: A.TypeExpr, table: SymbolTable, seen=()) -> tuple[str, Domain] | None:
    """``(name, definition)`` of the range or enumeration type ``texpr`` names, through
    aliases (``type Small = Digit``); None for a primitive or unknown type."""
    decl = table.types.get(texpr.name)
    if decl is None or texpr.name in seen:
        return None
    d = decl.definition
    if isinstance(d, (A.RangeType, A.EnumType)):
        return texpr.name, d
    found = declared_domain(d, table, seen + (texpr.name,))
    return (texpr.name, found[1]) if found else None


def column_domains(rel: str, table: SymbolTable) -> list[tuple[str, Domain] | None]:
    """The declared range/enum type of each column of ``rel`` (None where there is none)."""
    info = table.relations.get(rel)
    if info is None or info.decl is None or not info.decl.params:
        return [None] * (info.arity if info is not None else 0)
    return [declared_domain(p.type, table) for p in info.decl.params]


def domain_base(domain: Domain) -> str | None:
    """The primitive type a range or enumeration is made of."""
    if isinstance(domain, A.RangeType):
        return "int"
    return const_type(domain.values[0]) if domain.values else None


def in_domain(value, domain: Domain) -> bool:
    """Whether a constant belongs to a range or enumeration (``true`` is not ``1``)."""
    if isinstance(domain, A.RangeType):
        return isinstance(value, int) and not isinstance(value, bool) and domain.lo <= value <= domain.hi
    return any(v == value and isinstance(v, bool) == isinstance(value, bool) for v in domain.values)


def domain_within(inner: Domain, outer: Domain) -> bool:
    """Whether every value of ``inner`` belongs to ``outer`` (a value read from an ``inner``
    column needs no check to enter an ``outer`` one)."""
    if isinstance(inner, A.RangeType):
        if isinstance(outer, A.RangeType):
            return outer.lo <= inner.lo and inner.hi <= outer.hi
        return inner.hi - inner.lo < 4096 and all(in_domain(v, outer) for v in range(inner.lo, inner.hi + 1))
    return all(in_domain(v, outer) for v in inner.values)


def domain_text(name: str, domain: Domain, limit: int = 8) -> str:
    """``Digit = 0..9`` or ``Color = {"red", "green", "blue"}`` (long enumerations cut short)."""
    if isinstance(domain, A.RangeType):
        return f"{name} = {domain.lo}..{domain.hi}"
    shown = [format_value(v) for v in domain.values[:limit]]
    if len(domain.values) > limit:
        shown.append("...")
    return f"{name} = {{{', '.join(shown)}}}"


def const_type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


def expr_type(e, env: dict) -> str | None:
    """The type of an expression given variable types (None if not yet known)."""
    return run_recursive(_expr_type(e, env))


def _expr_type(e, env: dict):
    # a generator run by run_recursive: `yield` stands for a recursive call
    if isinstance(e, A.Const):
        return const_type(e.value)
    if isinstance(e, A.Var):
        return env.get(e.name)
    if isinstance(e, A.BinOp):
        if e.op == "++":
            return "str"
        lt = yield _expr_type(e.left, env)
        rt = yield _expr_type(e.right, env)
        if lt is None or rt is None:
            return lt or rt
        return "float" if "float" in (lt, rt) else lt
    if isinstance(e, A.Neg):
        return (yield _expr_type(e.operand, env))
    if isinstance(e, A.Call):
        types = []
        for a in e.args:
            types.append((yield _expr_type(a, env)))
        return _call_type(e, types)
    if isinstance(e, A.Aggregate):
        if e.op == "count":
            return "int"
        if e.op in ("exists", "forall"):
            return "bool"
        if e.op in ("sum", "min", "max") and e.vars:
            return env.get(e.vars[0].name)
        if e.op in ("argmin", "argmax") and e.vars:
            return env.get(e.vars[0].name)
    return None


def _call_type(call: A.Call, types: list) -> str | None:
    """The type of a built-in call whose arguments have ``types``."""
    if call.func == "distinct":
        return "bool"
    known = [t for t in types if t]
    if not known:
        return None
    return "float" if "float" in known else known[0]


class _Inference:
    def __init__(self, table: SymbolTable):
        self.table = table
        self.changed = False

    def col(self, rel: str) -> list | None:
        info = self.table.relations.get(rel)
        if info is None or info.builtin:
            return None
        return info.types

    def set_col(self, rel: str, i: int, t: str | None) -> None:
        cols = self.col(rel)
        if cols is None or t is None or i >= len(cols):
            return
        if cols[i] is None:
            cols[i] = t
            self.changed = True
        elif cols[i] == "int" and t == "float" and self._inferred(rel):
            # an inferred column holding ints and floats is float, whichever comes first:
            # its int literals read as floats, an int variable is reported by the checker
            cols[i] = "float"
            self.changed = True

    def _inferred(self, rel: str) -> bool:
        info = self.table.relations[rel]
        return not (info.decl is not None and info.decl.params) and info.neural is None

    def set_var(self, env: dict, name: str, t: str | None) -> None:
        # `changed` is not set: `env` is one rule's, made afresh on every sweep, and only
        # column types carry from one sweep to the next (so only they decide the fixpoint)
        if t is not None and name not in env:
            env[name] = t

    def atom(self, atom: A.Atom, env: dict, head: bool = False) -> None:
        if is_knn(atom, self.table):
            infer_knn(atom, env, self.set_var)
            return
        cols = self.col(atom.rel)
        if cols is None or len(cols) != len(atom.args):
            return
        for i, arg in enumerate(atom.args):
            if isinstance(arg, A.Var):
                if cols[i] is not None:
                    if head:  # a float the head puts into an inferred int column widens it
                        self.set_col(atom.rel, i, env.get(arg.name))
                    self.set_var(env, arg.name, cols[i])
                else:
                    self.set_col(atom.rel, i, env.get(arg.name))
            elif not isinstance(arg, A.Wildcard):
                self.set_col(atom.rel, i, expr_type(arg, env))

    def literal(self, lit, env: dict) -> None:
        if isinstance(lit, A.Atom):
            self.atom(lit, env)
        elif isinstance(lit, A.Negation):
            self.literal(lit.atom, env)
        elif isinstance(lit, A.Aggregate):
            self.aggregate(lit, env)
        elif isinstance(lit, A.Comparison):
            for side in (lit.left, lit.right):
                if isinstance(side, A.Aggregate):
                    self.aggregate(side, env)
            if lit.op in ("=", "=="):
                if isinstance(lit.left, A.Var):
                    self.set_var(env, lit.left.name, expr_type(lit.right, env))
                if isinstance(lit.right, A.Var):
                    self.set_var(env, lit.right.name, expr_type(lit.left, env))

    def aggregate(self, agg: A.Aggregate, env: dict) -> None:
        for body in (agg.body, agg.consequent):
            if body is not None:
                for conj in body.alternatives:
                    for lit in conj:
                        self.literal(lit, env)

    def rule(self, rule: A.Rule) -> None:
        alternatives = rule.body.alternatives if rule.body else ((),)
        for conj in alternatives:
            env: dict = {}
            for _ in range(3):  # a few sweeps settle bindings that depend on later literals
                for lit in conj:
                    self.literal(lit, env)
            self.atom(rule.head, env, head=True)


def infer_and_check(program: A.Program, table: SymbolTable, diags: list[Diagnostic]) -> None:
    """Fill ``RelationInfo.types`` and report type errors."""
    for info in table.relations.values():
        info.types = [None] * info.arity
        if info.decl is not None and info.decl.params:
            info.types = [resolve_type(p.type, table) for p in info.decl.params]
            for p, t in zip(info.decl.params, info.types):
                if t is None:
                    diags.append(error(f"unknown type '{p.type.name}'", p.type.span))
        elif info.neural is not None:
            info.types = [resolve_type(p.type, table) for p in info.neural.params]
            info.types.append(resolve_type(info.neural.output, table))
    rules = [s for s in program.statements if isinstance(s, A.Rule)]
    for s in program.statements:
        if isinstance(s, A.AnnotatedDisjunction):
            rules.extend(A.Rule(atom, None, p, atom.span) for p, atom in s.choices)
    inference = _Inference(table)
    for _ in range(100):
        inference.changed = False
        for rule in rules:
            inference.rule(rule)
        if not inference.changed:
            break
    checker = _Checker(table, diags)
    for rule in rules:
        checker.rule(rule)


def check_atom_types(atom: A.Atom, table: SymbolTable, diags: list[Diagnostic]) -> None:
    """Report each argument of ``atom`` (standing alone, as a query's) whose type does not
    fit its column, with the message a rule body's argument gets. Call after
    :func:`infer_and_check`, which settles the column types."""
    if not is_knn(atom, table):  # a queried knn is knn_places' error
        _Checker(table, diags).atom(atom, {})


class _Checker:
    """Second pass: compare every occurrence with the settled types."""

    def __init__(self, table: SymbolTable, diags: list[Diagnostic]):
        self.table, self.diags = table, diags
        self.reported: set = set()
        self.knn_atoms: list = []

    def report(self, message: str, span, *notes) -> None:
        if (message, span) not in self.reported:
            self.reported.add((message, span))
            self.diags.append(error(message, span, *notes))

    def rule(self, rule: A.Rule) -> None:
        alternatives = rule.body.alternatives if rule.body else ((),)
        for conj in alternatives:
            env: dict = {}
            self.knn_atoms: list = []
            self.unsettled: list = []  # comparisons met before a side's type was known
            for lit in conj:
                self.literal(lit, env)
            for lit in self.unsettled:  # `count(...) < x, x = true`: x is bool by now
                self.compare(lit, self.expr(lit.left, env), self.expr(lit.right, env))
            if not is_knn(rule.head, self.table):  # facts or rules for knn: symbols' error
                self.atom(rule.head, env)
            for atom in self.knn_atoms:  # once every variable's type is known
                check_knn(atom, env, self.table, self.report, expr_type)

    def atom(self, atom: A.Atom, env: dict) -> None:
        if is_knn(atom, self.table):
            infer_knn(atom, env, lambda e, name, t: e.setdefault(name, t))
            self.knn_atoms.append(atom)
            return
        info = self.table.relations.get(atom.rel)
        if info is None or info.builtin or len(info.types) != len(atom.args):
            return
        for i, arg in enumerate(atom.args):
            if isinstance(arg, A.Wildcard):
                continue
            got = self.expr(arg, env)
            want = info.types[i]
            if isinstance(arg, A.Var) and want:
                got = env.setdefault(arg.name, want)
            if want is None or got is None or want == got:
                continue
            if isinstance(arg, A.Const) and compatible(want, got):
                continue  # an int literal in a float column is read as a float
            notes = (note(f"'{atom.rel}' is declared here", info.decl.span),) if info.decl else ()
            what = f"variable '{arg.name}'" if isinstance(arg, A.Var) else "this value"
            self.report(f"argument {i + 1} of '{atom.rel}' has type {want}, but {what} is {got}",
                        getattr(arg, "span", atom.span), *notes)

    def literal(self, lit, env: dict) -> None:
        if isinstance(lit, A.Atom):
            self.atom(lit, env)
        elif isinstance(lit, A.Negation):
            if not (isinstance(lit.atom, A.Atom) and is_knn(lit.atom, self.table)):  # knn_places'
                self.literal(lit.atom, env)
        elif isinstance(lit, A.Aggregate):
            self.aggregate(lit, env)
        elif isinstance(lit, A.Comparison):
            lt, rt = self.expr(lit.left, env), self.expr(lit.right, env)
            if isinstance(lit.left, A.Var):  # the right side may have bound it
                lt = env.get(lit.left.name)
            if lit.op == "=" and isinstance(lit.left, A.Var) and lit.left.name not in env and rt:
                env[lit.left.name] = rt
            elif lit.op == "=" and isinstance(lit.right, A.Var) and lit.right.name not in env and lt:
                env[lit.right.name] = lt
            elif lt and rt:
                self.compare(lit, lt, rt)
            else:
                self.unsettled.append(lit)

    def compare(self, lit: A.Comparison, lt, rt) -> None:
        if not (lt and rt):
            return
        if not (compatible(lt, rt) or compatible(rt, lt)):
            self.report(f"cannot compare {lt} with {rt}", lit.span)
        elif lit.op in ("<", "<=", ">", ">=") and lt == "bool":
            self.report("ordering comparison on bool values", lit.span)

    def aggregate(self, agg: A.Aggregate, env: dict) -> None:
        for body in (agg.body, agg.consequent):
            if body is not None:
                for conj in body.alternatives:
                    for lit in conj:
                        self.literal(lit, env)
        if agg.op == "sum" and agg.vars:
            t = env.get(agg.vars[0].name)
            if t is not None and t not in NUMERIC:
                self.report(f"sum needs numbers, but '{agg.vars[0].name}' is {t}", agg.vars[0].span)
        if agg.objective is not None:
            t = self.expr(agg.objective, env)
            if t is not None and t not in NUMERIC + ("str",):
                self.report(f"{agg.op} objective must be a number or a string, got {t}", agg.span)

    def expr(self, e, env: dict) -> str | None:
        """Check ``e`` and return its type (``expr_type``'s answer), bottom-up: asking
        ``expr_type`` at every node would be quadratic in a long ``y + 1 + 1 + ...``."""
        return run_recursive(self._expr(e, env))

    def _expr(self, e, env: dict):
        # a generator run by run_recursive: `yield` stands for a recursive call
        if isinstance(e, A.Aggregate):
            self.aggregate(e, env)
        elif isinstance(e, A.BinOp):
            lt = yield self._expr(e.left, env)
            rt = yield self._expr(e.right, env)
            if isinstance(e.left, A.Var):  # the right side may have bound it
                lt = env.get(e.left.name)
            if e.op == "++":
                for t, side in ((lt, e.left), (rt, e.right)):
                    if t is not None and t != "str":
                        self.report(f"'++' joins strings, but this is {t}", getattr(side, "span", e.span))
                return "str"
            bad = [(t, side) for t, side in ((lt, e.left), (rt, e.right)) if t is not None and t not in NUMERIC]
            if bad:
                t, side = bad[0]
                hint = " (use '++' to join strings)" if t == "str" and e.op == "+" else ""
                self.report(f"'{e.op}' needs numbers, but this is {t}{hint}",
                            getattr(side, "span", e.span))
            if lt is None or rt is None:
                return lt or rt
            return "float" if "float" in (lt, rt) else lt
        elif isinstance(e, A.Neg):
            t = yield self._expr(e.operand, env)
            if t is not None and t not in NUMERIC:
                self.report(f"'-' needs a number, but this is {t}", e.span)
            return t
        elif isinstance(e, A.Call):
            bound, types = len(env), []
            for a in e.args:
                types.append((yield self._expr(a, env)))
            if len(env) != bound:  # an argument bound a variable (env only grows): ask again
                types = [expr_type(a, env) for a in e.args]
            if e.func in ("abs", "min", "max"):
                for a, t in zip(e.args, types):
                    if t is not None and t not in NUMERIC:
                        self.report(f"{e.func} needs numbers, but this is {t}", getattr(a, "span", e.span))
            return _call_type(e, types)  # expr_type(e, env), from the arguments' types
        return expr_type(e, env)


def compatible(column: str, value: str) -> bool:
    """Whether a value of type ``value`` may stand where ``column`` is expected."""
    return column == value or (column == "float" and value == "int")
