"""Verifier of one rule: its op pipeline, variable bindings, types and strata order.

Walks the pipeline keeping the binding environment (variable → type) exactly as
the runtime keeps the binding table's columns, so "bound before use" means what
it means at run time. Aggregate bodies are checked as nested pipelines that
start from the aggregate's keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from nsl.compiler import ir
from nsl.compiler.verify_types import (NUMERIC_TYPES, Env, ExprChecker, describe_value,
                                       is_tensor_type)
from nsl.lang.diagnostics import Diagnostic, Span, error

_RESULT_COUNTS = {"count": 1, "sum": 1, "min": 1, "max": 1, "exists": 0, "not_exists": 0}


@dataclass(frozen=True)
class RuleContext:
    """Where a rule sits: the module's schemas and which stratum computes what."""

    schemas: dict  # relation name -> ir.Relation
    stratum_of: dict  # relation name -> index of the stratum computing it
    index: int  # this rule's stratum
    stratum: ir.Stratum
    kind: str  # "init" | "loop"
    indexes: dict = field(default_factory=dict)  # index name -> ir.Index


def check_rule(rule: ir.Rule, ctx: RuleContext, out: list[Diagnostic]) -> None:
    """Append to ``out`` a diagnostic for every way ``rule`` breaks the IR contract."""
    _RuleChecker(rule, ctx, out).check()


class _RuleChecker:
    def __init__(self, rule: ir.Rule, ctx: RuleContext, out: list[Diagnostic]):
        self.rule, self.ctx, self.out = rule, ctx, out
        self.span: Span | None = rule.origin

    def report(self, message: str) -> None:
        self.out.append(error(f"in rule {self.rule.name}: {message}", self.span))

    def check(self) -> None:
        ops = self.rule.ops
        if not ops or not isinstance(ops[-1], ir.Insert):
            self.report("the rule does not end with an insert")
        for op in ops[:-1]:
            if isinstance(op, ir.Insert):
                self.span = op.origin or self.rule.origin
                self.report(f"insert into {op.rel} is not the last op of the rule")
        tail = list(ops[:-1])
        while tail and isinstance(tail[-1], (ir.Check, ir.Weight)):
            tail.pop()  # checks stand last, before the insert (a weight may stand among them)
        for op in tail:
            if isinstance(op, ir.Check):
                self.span = op.origin or self.rule.origin
                self.report("a check stands before an op that drops rows; checks come last, "
                            "before the insert")
        self.pipeline(ops, {}, in_aggregate=False)

    def pipeline(self, ops, env: Env, in_aggregate: bool) -> None:
        for op in ops:
            self.span = getattr(op, "origin", None) or self.rule.origin
            handler = getattr(self, "op_" + type(op).__name__.lower(), None)
            if handler is None:
                self.report(f"not an IR op: {op!r}")
            else:
                handler(op, env, in_aggregate)

    # ---- reading relations ----
    def schema(self, rel: str, arity: int, what: str) -> tuple | None:
        """The column types of ``rel``, or None after reporting why it cannot be used."""
        relation = self.ctx.schemas.get(rel)
        if relation is None:
            self.report(f"relation {rel} is not declared")
            return None
        if len(relation.types) != arity:
            self.report(f"{what} {rel} with {arity} arguments, "
                        f"but {rel} has arity {len(relation.types)}")
            return None
        return relation.types

    def check_reads(self, rel: str, strictly_earlier: bool, why: str) -> None:
        computed_in = self.ctx.stratum_of.get(rel)
        if computed_in is None:
            return  # facts or run-time input: readable everywhere
        if computed_in > self.ctx.index:
            self.report(f"relation {rel} is computed by a later stratum ({computed_in})")
        elif strictly_earlier and computed_in == self.ctx.index:
            self.report(f"{why} relation {rel} must come from an earlier stratum, "
                        f"not from stratum {computed_in} that reads it")

    def terms(self, rel: str, args, types, env: Env, binds: bool) -> None:
        exprs = ExprChecker(env, self.report)
        for position, (arg, column_type) in enumerate(zip(args, types)):
            if isinstance(arg, ir.Wild):
                continue
            if isinstance(arg, ir.ColRef) and arg.name not in env:
                if not binds:
                    self.report(f"variable {arg.name} in antijoin {rel} is not bound")
                    continue
                env[arg.name] = arg.type
            elif not isinstance(arg, (ir.ColRef, ir.Lit)):
                self.report(f"argument {position} of {rel} is not a variable, literal or _")
                continue
            if exprs.check(arg) != column_type:
                self.report(f"argument {position} of {rel} has type {arg.type} "
                            f"but the column is {column_type}")

    # ---- ops ----
    def op_join(self, op: ir.Join, env: Env, in_aggregate: bool) -> None:
        if op.version not in ("full", "delta"):
            self.report(f"unknown version {op.version!r} of relation {op.rel}")
        elif op.version == "delta":
            self.check_delta(op.rel, in_aggregate)
        self.check_reads(op.rel, in_aggregate, "aggregated")
        types = self.schema(op.rel, len(op.args), "join")
        if types is not None:
            self.terms(op.rel, op.args, types, env, binds=True)
        else:  # keep going with the annotated types, so errors do not cascade
            for arg in op.args:
                if isinstance(arg, ir.ColRef):
                    env.setdefault(arg.name, arg.type)

    def check_delta(self, rel: str, in_aggregate: bool) -> None:
        ctx = self.ctx
        if ctx.kind != "loop" or not ctx.stratum.recursive or in_aggregate:
            self.report(f"delta of {rel} is read outside a loop rule of a recursive stratum")
        elif rel not in ctx.stratum.relations:
            self.report(f"delta of {rel} is read in stratum {ctx.index}, "
                        f"which does not compute {rel}")

    def op_antijoin(self, op: ir.AntiJoin, env: Env, in_aggregate: bool) -> None:
        self.check_reads(op.rel, True, "negated")
        types = self.schema(op.rel, len(op.args), "antijoin")
        if types is not None:
            self.terms(op.rel, op.args, types, env, binds=False)

    def op_filter(self, op: ir.Filter, env: Env, in_aggregate: bool) -> None:
        cond_type = ExprChecker(env, self.report).check(op.cond)
        if cond_type is not None and cond_type != "bool":
            self.report(f"filter condition has type {cond_type}, not bool")

    def op_map(self, op: ir.Map, env: Env, in_aggregate: bool) -> None:
        expr_type = ExprChecker(env, self.report).check(op.expr)
        self.bind(op.var, expr_type, env, "map")

    def bind(self, var: str, type_, env: Env, what: str) -> None:
        if var in env:
            self.report(f"variable {var} bound by {what} is already bound")
        env[var] = type_

    def op_weight(self, op: ir.Weight, env: Env, in_aggregate: bool) -> None:
        prob = op.prob
        if isinstance(prob, bool) or not isinstance(prob, (int, float)) or not 0 <= prob <= 1:
            self.report(f"weight {describe_value(prob)} is not a probability in [0, 1]")

    def op_neural(self, op: ir.Neural, env: Env, in_aggregate: bool) -> None:
        for var in op.inputs:
            if var not in env:
                self.report(f"input {var} of neural {op.module} is not bound")
        self.bind(op.output, None, env, f"neural {op.module}")

    def op_knn(self, op: ir.Knn, env: Env, in_aggregate: bool) -> None:
        index = self.ctx.indexes.get(op.index)
        if index is None:
            self.report(f"knn searches undeclared index {op.index}")
        if op.vector not in env:
            self.report(f"vector {op.vector} of knn {op.index} is not bound")
        elif env[op.vector] is not None and not is_tensor_type(env[op.vector]):
            self.report(f"vector {op.vector} of knn {op.index} has type {env[op.vector]}, "
                        f"not a tensor")
        elif index is not None and env[op.vector] not in (None, "tensor[]", f"tensor[{index.dim}]"):
            self.report(f"vector {op.vector} of knn {op.index} has type {env[op.vector]}, "
                        f"but the index holds tensor[{index.dim}]")
        k_type = ExprChecker(env, self.report).check(op.k)
        if k_type is not None and k_type != "int":
            self.report(f"k of knn {op.index} has type {k_type}, not int")
        if op.id == op.score:
            self.report(f"knn {op.index} binds {op.id} twice")
        self.bind(op.id, "int", env, f"knn {op.index}")
        self.bind(op.score, "float", env, f"knn {op.index}")

    def op_check(self, op: ir.Check, env: Env, in_aggregate: bool) -> None:
        if in_aggregate:
            self.report("check inside an aggregate body")
        got = ExprChecker(env, self.report).check(op.expr)
        if (op.lo is None) == (not op.values):
            self.report("a check names either a range [lo, hi] or a set of values")
        elif op.lo is not None and (op.hi is None or op.lo > op.hi):
            self.report(f"check range [{op.lo}, {op.hi}] is empty")
        elif op.lo is not None and got not in (None, "int"):
            self.report(f"check of an int range on a {got} value")
        elif op.values and got is not None and not all(
                _value_type(v) == got or (_value_type(v), got) == ("int", "float") for v in op.values):
            self.report(f"check of {got} values against {describe_value(op.values)}")

    def op_insert(self, op: ir.Insert, env: Env, in_aggregate: bool) -> None:
        if in_aggregate:
            self.report(f"insert into {op.rel} inside an aggregate body")
        elif op.rel not in self.ctx.stratum.relations:
            self.report(f"insert into {op.rel}, which stratum {self.ctx.index} does not compute")
        exprs = ExprChecker(env, self.report)
        types = [exprs.check(e) for e in op.exprs]
        columns = self.schema(op.rel, len(op.exprs), "insert into")
        for position, (got, column_type) in enumerate(zip(types, columns or ())):
            if got is not None and got != column_type:
                self.report(f"column {position} of {op.rel} is {column_type} "
                            f"but the insert gives {got}")

    def op_aggregate(self, op: ir.Aggregate, env: Env, in_aggregate: bool) -> None:
        _AggregateChecker(self, op, env).check()


class _AggregateChecker:
    """The checks of one Aggregate; its body alternatives reuse the rule checker."""

    def __init__(self, rule: _RuleChecker, op: ir.Aggregate, env: Env):
        self.rule, self.op, self.env = rule, op, env
        self.report: Callable[[str], None] = lambda msg: rule.report(f"aggregate {op.op}: {msg}")

    def check(self) -> None:
        op = self.op
        self.check_shape()
        for key in op.keys:
            if key not in self.env:
                self.report(f"key {key} is not bound in the outer table")
        var_types = self.check_body()
        inferred = self.result_types(var_types)
        if op.result_types and len(op.result_types) != len(op.results):
            self.report(f"{len(op.result_types)} result types for {len(op.results)} results")
        elif op.result_types and inferred is not None:
            for result, declared, got in zip(op.results, op.result_types, inferred):
                if got is not None and declared != got:
                    self.report(f"result {result} has type {got} but is declared {declared}")
        chosen = op.result_types if len(op.result_types) == len(op.results) else ()
        for i, result in enumerate(op.results):
            type_ = chosen[i] if chosen else (inferred[i] if inferred else None)
            self.rule.bind(result, type_, self.env, f"aggregate {op.op}")

    def check_shape(self) -> None:
        op = self.op
        if op.op not in ir.AGGREGATE_OPS:
            self.report(f"unknown aggregate op; expected one of {', '.join(ir.AGGREGATE_OPS)}")
            return
        wanted = _RESULT_COUNTS.get(op.op, len(op.vars))
        if len(op.results) != wanted:
            self.report(f"{len(op.results)} results; {op.op} gives {wanted}")
        # sum/min/max reduce vars[0]; further vars only make rows distinct (sum(v, id: ...)).
        if op.op in ("sum", "min", "max", "argmin", "argmax") and not op.vars:
            self.report(f"{op.op} needs at least one variable")
        if op.op in ("argmin", "argmax") and op.objective is None:
            self.report(f"{op.op} needs an objective")
        if op.op not in ("argmin", "argmax") and op.objective is not None:
            self.report(f"{op.op} takes no objective")
        if not op.body:
            self.report("the aggregate has no body")

    def check_body(self) -> dict:
        """Check every alternative; return each var's type (None where unknown)."""
        op, var_types = self.op, {}
        for number, alternative in enumerate(op.body, start=1):
            inner = {k: self.env[k] for k in op.keys if k in self.env}
            self.rule.pipeline(alternative, inner, in_aggregate=True)
            self.rule.span = op.origin or self.rule.rule.origin
            for var in op.vars:
                if var not in inner:
                    self.report(f"variable {var} is not bound by alternative {number} of the body")
                elif var in var_types and None not in (var_types[var], inner[var]) \
                        and var_types[var] != inner[var]:
                    self.report(f"variable {var} is {var_types[var]} in one alternative "
                                f"and {inner[var]} in another")
                elif var_types.get(var) is None:
                    var_types[var] = inner[var]
            if op.objective is not None:
                objective = ExprChecker(inner, self.report).check(op.objective)
                if objective is not None and objective not in NUMERIC_TYPES:
                    self.report(f"objective has type {objective}, not a number")
        return var_types

    def result_types(self, var_types: dict) -> tuple | None:
        """The result types the op implies, or None if they cannot be told."""
        op = self.op
        if op.op == "count":
            return ("int",) * len(op.results)
        if op.op in ("exists", "not_exists"):
            return ()
        if op.op in ("sum", "min", "max") and op.vars:
            var_type = var_types.get(op.vars[0])
            if op.op == "sum" and var_type is not None and var_type not in NUMERIC_TYPES:
                self.report(f"sum over {op.vars[0]} of type {var_type}")
                var_type = None  # reported once; the declared result type stands
            return (var_type,) * len(op.results)
        if op.op in ("argmin", "argmax") and len(op.results) == len(op.vars):
            return tuple(var_types.get(v) for v in op.vars)
        return None


def _value_type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    return {int: "int", float: "float", str: "str"}.get(type(value), "?")
