"""Range restriction: every variable a rule uses must be bound by a positive literal.

A variable is bound by a positive relation atom, by ``x = expr`` once ``expr``'s
variables are bound, by an aggregate's result, or by the output of a neural
module / ``knn`` once their inputs are bound (``==`` only compares). Variables
in the head, under ``not``, in comparisons and in aggregate keys must be bound;
``_`` may not appear in a head. Whether an aggregate's keys can be bound
before it runs is ``aggregate_order``'s to check.
"""
from __future__ import annotations

from nsl.lang import ast as A
from nsl.lang.check.knn_places import is_builtin
from nsl.lang.check.symbols import SymbolTable
from nsl.lang.diagnostics import Diagnostic, error, note
from nsl.lang.schedule import needs_and_binds
from nsl.lang.walk import aggregate_inner_vars, aggregates_in, expr_vars, literal_vars


def check_safety(program: A.Program, table: SymbolTable, diags: list[Diagnostic]) -> None:
    for stmt in program.statements:
        if isinstance(stmt, A.Rule):
            _check_rule(stmt, table, diags)
        elif isinstance(stmt, A.AnnotatedDisjunction):
            for _, atom in stmt.choices:
                _check_rule(A.Rule(atom, None, None, atom.span), table, diags)


def _check_rule(rule: A.Rule, table: SymbolTable, diags) -> None:
    for arg in rule.head.args:
        if isinstance(arg, A.Wildcard):
            diags.append(error("`_` cannot appear in a rule head", arg.span))
        elif isinstance(arg, A.Aggregate):
            diags.append(error("an aggregate cannot appear in a head; bind it in the body", arg.span))
    if rule.body is None:
        for arg in rule.head.args:
            for v in expr_vars(arg):
                diags.append(error(f"variable '{v.name}' in a fact: a fact's arguments must be constants "
                                   f"(write a rule with a body to bind '{v.name}')", v.span))
        return
    head_vars = [v for a in rule.head.args for v in expr_vars(a)]
    for conj in rule.body.alternatives:
        bound = bound_variables(conj, table, frozenset())
        reported: set[str] = set()
        for v in head_vars:
            if v.name not in bound and v.name not in reported:
                reported.add(v.name)
                diags.append(error(f"unsafe rule: head variable '{v.name}' is not bound by a positive "
                                   "atom in the body", v.span, *_equality_hint(v.name, conj)))
        _check_conjunction(conj, bound, table, diags, reported)


def _equality_hint(name: str, conj) -> tuple[Diagnostic, ...]:
    """A note when ``name`` stands alone beside ``==``, which compares but never binds."""
    for lit in conj:
        if isinstance(lit, A.Comparison) and lit.op == "==" and \
                any(isinstance(side, A.Var) and side.name == name for side in (lit.left, lit.right)):
            return (note(f"`==` only compares; write `{name} = ...` to bind '{name}'", lit.span),)
    return ()


def bound_variables(conj, table: SymbolTable, outer: frozenset) -> set[str]:
    """The variables a conjunction binds (given those bound outside), to a fixpoint, in any
    order: what each literal binds is ``nsl.lang.schedule``'s one definition, asked without
    the needs that only decide when a literal runs (an aggregate's keys, an atom's expression
    arguments), since whether an order exists is ``aggregate_order``'s to check."""
    bound = set(outer)
    changed = True
    while changed:
        changed = False
        for lit in conj:
            needs, binds = needs_and_binds(lit, conj, (), bound, table, order=False)
            if all(n in bound for n in needs) and not set(binds) <= bound:
                bound.update(binds)
                changed = True
    return bound


def _check_conjunction(conj, bound: set, table, diags, reported: set) -> None:
    for lit in conj:
        if isinstance(lit, A.Atom):
            for arg in lit.args:
                if not isinstance(arg, (A.Var, A.Wildcard, A.Const)):
                    # an aggregate here is rule_forms' error; its own variables are not unbound
                    _need_bound(expr_vars(arg, aggregates=False), bound, "in an argument expression",
                                diags, reported)
            info = table.relations.get(lit.rel)
            if info is not None and info.builtin and len(lit.args) == 5:
                _need_bound((v for a in lit.args[1:3] for v in expr_vars(a)), bound,
                            "as the vector or k of knn", diags, reported)
            if info is not None and info.neural is not None:
                _need_bound(literal_vars(A.Atom(lit.rel, lit.args[:-1], lit.span)), bound,
                            f"as an input of neural module '{lit.rel}'", diags, reported)
        elif isinstance(lit, A.Negation):
            if isinstance(lit.atom, A.Aggregate):
                _check_aggregate(lit.atom, bound, table, diags, reported)
            elif not is_builtin(lit.atom, table):  # `not knn(...)` is knn_places' error
                _need_bound((v for a in lit.atom.args for v in expr_vars(a)), bound,
                            "under `not` (negated variables must be bound elsewhere; use `_` for "
                            "'any value')", diags, reported)
        elif isinstance(lit, A.Comparison):
            for side in (lit.left, lit.right):
                if isinstance(side, A.Aggregate):
                    _check_aggregate(side, bound, table, diags, reported)
                    _one_value(side, diags)
                else:
                    _no_nested_aggregate(side, diags)
            _need_bound(_outer_vars(lit), bound, "in a comparison", diags, reported,
                        _equality_hint if lit.op == "==" else None, conj)
        elif isinstance(lit, A.Aggregate):
            _check_aggregate(lit, bound, table, diags, reported)


def _one_value(agg: A.Aggregate, diags) -> None:
    """A compared argmin/argmax gives one value per listed variable: it can bind or match
    only one. (Standing alone, ``argmax(a, b: ...)`` only tests that a witness exists.)"""
    if agg.op in ("argmin", "argmax") and len(agg.vars) > 1:
        diags.append(error(f"{agg.op} over several variables gives several values; bind it to one "
                           "variable", agg.span))


def _no_nested_aggregate(e, diags) -> None:
    for agg in aggregates_in(e):
        diags.append(error(f"bind the {agg.op} to a variable first (`n = {agg.op}(...)`), then use "
                           "the variable in the expression", agg.span))


def _outer_vars(lit: A.Comparison):
    for side in (lit.left, lit.right):
        yield from expr_vars(side, aggregates=False)


def _check_aggregate(agg: A.Aggregate, outer_bound: set, table, diags, reported) -> None:
    # The listed variables are the aggregate's own (never keys), even where the rule binds
    # the same name outside: its body must bind them itself.
    keys = frozenset(outer_bound - {v.name for v in agg.vars})
    for conj in agg.body.alternatives:
        inner = bound_variables(conj, table, keys)
        for v in agg.vars:
            if v.name not in inner and v.name not in reported:
                reported.add(v.name)
                diags.append(error(f"aggregate variable '{v.name}' is not bound by its body", v.span))
        _check_conjunction(conj, inner, table, diags, reported)
        if agg.objective is not None:
            _need_bound(expr_vars(agg.objective), inner, "in the objective", diags, reported)
        if agg.consequent is not None:
            for cconj in agg.consequent.alternatives:
                cbound = bound_variables(cconj, table, frozenset(inner))
                _check_conjunction(cconj, cbound, table, diags, reported)


def _need_bound(variables, bound: set, where: str, diags, reported: set, hint=None, conj=()) -> None:
    for v in variables:
        if v.name not in bound and v.name not in reported:
            reported.add(v.name)
            diags.append(error(f"unsafe rule: variable '{v.name}' {where} is not bound by a positive atom",
                               v.span, *(hint(v.name, conj) if hint else ())))


__all__ = ["check_safety", "bound_variables", "aggregate_inner_vars"]
