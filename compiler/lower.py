"""Lowering: a checked program (AST + symbols) → the relational IR.

Each alternative of a rule body becomes one IR rule: literals are scheduled
in source order as soon as the variables they need are bound (a comparison
written before the atom that binds its variable still runs after it), then
the ``join_order`` pass improves the order. Aggregates lower to correlated
sub-pipelines whose keys are the variables they share with the rest of the rule.
This is the only module that sees both the AST and the IR.
"""
from __future__ import annotations

from nsl.compiler import ir
from nsl.lang import ast as A
from nsl.lang.check import CheckedProgram
from nsl.lang.check.indexes import index_options
from nsl.lang.check.symbols import RelationInfo
from nsl.lang.check.types import column_domains
from nsl.lang.diagnostics import CompileError, error
from nsl.compiler.lower_rule import RuleScope, constant_value, split_conditions

def lower(checked: CheckedProgram) -> ir.Module:
    """Translate a checked program into an (unoptimised) IR module.

    The checks report what a user can get wrong first (a literal no order can run, an
    argmax of several values compared to one, a form only formulas have, a query argument
    that is an expression); for a program that skipped them, the same faults raise
    CompileError here, rendered with the program's source."""
    try:
        return _Lowering(checked).module()
    except CompileError as exc:
        raise exc.with_sources(checked.sources) from None


class _Lowering:
    def __init__(self, checked: CheckedProgram):
        self.checked = checked
        self.symbols = checked.symbols
        self.rule_counter: dict[str, int] = {}

    def types_of(self, rel: str) -> tuple[str, ...]:
        return tuple(t or "int" for t in self.symbols.relations[rel].types)

    def stored(self) -> list[RelationInfo]:
        return [i for i in self.symbols.relations.values() if not i.builtin and i.neural is None]

    def module(self) -> ir.Module:
        relations = tuple(ir.Relation(i.name, self.types_of(i.name), i.kind,
                                      i.decl.source if i.decl else None, origin=i.span)
                          for i in self.stored())
        return ir.Module(relations, self.facts(), self.strata(), self.outputs(), self.queries(),
                         self.provenance(), self.indexes())

    def indexes(self) -> tuple[ir.Index, ...]:
        out = []
        for decl in self.symbols.indexes.values():
            o = index_options(decl)
            out.append(ir.Index(decl.name, o["dim"], o["quant"], o["metric"], o["rerank"],
                                decl.source, origin=decl.span))
        return tuple(out)

    def provenance(self):
        name, kwargs = self.checked.provenance
        return (name, tuple(kwargs))

    # -- facts -------------------------------------------------------------------
    def facts(self) -> tuple[ir.Facts, ...]:
        rows: dict[str, list[ir.FactRow]] = {}
        group = 0
        for stmt in self.checked.program.statements:
            if isinstance(stmt, A.Rule) and stmt.body is None:
                rows.setdefault(stmt.head.rel, []).append(self.fact_row(stmt.head, stmt.prob, None))
            elif isinstance(stmt, A.AnnotatedDisjunction):
                for prob, atom in stmt.choices:
                    rows.setdefault(atom.rel, []).append(self.fact_row(atom, prob, group))
                group += 1
        return tuple(ir.Facts(rel, tuple(r), origin=r[0].origin) for rel, r in rows.items())

    def fact_row(self, atom: A.Atom, prob, group) -> ir.FactRow:
        values = []
        for arg, t in zip(atom.args, self.types_of(atom.rel)):
            value = constant_value(arg)
            if value is None:  # the `facts` check reports it first; kept for unchecked input
                raise CompileError([error("a fact's arguments must be constants", arg.span)])
            values.append(float(value) if t == "float" else value)
        return ir.FactRow(tuple(values), prob, group, origin=atom.span)

    # -- strata ------------------------------------------------------------------
    def strata(self) -> tuple[ir.Stratum, ...]:
        rules_of = {i.name: i.rules for i in self.stored()}
        out = []
        for component in self.checked.strata:
            members = [r for r in component if rules_of.get(r)]
            if not members:
                continue
            member_set = set(members)
            init, loop = [], []
            for rel in members:
                for rule in rules_of[rel]:
                    recursive = any(a.rel in member_set for conj in rule.body.alternatives
                                    for lit in conj for a in _positive_atoms(lit))
                    (loop if recursive else init).extend(self.rule(rule))
            out.append(ir.Stratum(tuple(members), bool(loop), tuple(init), tuple(loop)))
        return tuple(out)

    def rule(self, rule: A.Rule) -> list[ir.Rule]:
        n = self.rule_counter.get(rule.head.rel, 0)
        self.rule_counter[rule.head.rel] = n + 1
        lowered = []
        alternatives = [alt for conj in rule.body.alternatives for alt in split_conditions(conj)]
        for k, conj in enumerate(alternatives):
            name = f"{rule.head.rel}#{n}" + (f".{k}" if len(alternatives) > 1 else "")
            scope = RuleScope(self, conj, rule.head)
            ops = scope.schedule(conj)
            exprs, checks = scope.head_values(self.types_of(rule.head.rel),
                                              column_domains(rule.head.rel, self.symbols), ops)
            if rule.prob is not None:
                ops.append(ir.Weight(rule.prob, origin=rule.span))
            ops.extend(checks)
            ops.append(ir.Insert(rule.head.rel, exprs, origin=rule.head.span))
            lowered.append(ir.Rule(name, tuple(ops), origin=rule.span))
        return lowered

    # -- outputs and queries -------------------------------------------------------
    def queries(self) -> tuple[ir.QuerySpec, ...]:
        out = []
        for stmt in self.checked.program.statements:
            if isinstance(stmt, A.Query):
                types = self.types_of(stmt.atom.rel)
                given = stmt.atom.args or (A.Wildcard(stmt.span),) * len(types)  # `query rel.`
                args = []
                for arg, t in zip(given, types):
                    value = constant_value(arg)
                    if value is not None:
                        args.append(ir.Lit(float(value) if t == "float" else value, t))
                    elif isinstance(arg, A.Var):
                        args.append(ir.ColRef(arg.name, t))
                    elif isinstance(arg, A.Wildcard):
                        args.append(ir.Wild())
                    else:  # the `query_args` check reports it first; kept for unchecked input
                        raise CompileError([error("query arguments are constants, variables or `_`",
                                                  arg.span)])
                out.append(ir.QuerySpec(stmt.atom.rel, tuple(args), origin=stmt.span))
        return tuple(out)

    def outputs(self) -> tuple[str, ...]:
        queried = []
        for stmt in self.checked.program.statements:
            if isinstance(stmt, A.Query) and stmt.atom.rel not in queried:
                queried.append(stmt.atom.rel)
        if queried:
            return tuple(queried)
        derived = [i.name for i in self.stored() if i.rules]
        return tuple(derived or [i.name for i in self.stored() if i.kind == "edb"])


def _positive_atoms(lit):
    if isinstance(lit, A.Atom):
        yield lit
