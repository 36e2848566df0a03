"""The IR verifier: every pass must leave :func:`verify_module` empty.

It checks the contract of ``ir.py`` -- schemas and arities, fact values, which
stratum computes what and in which order strata read each other, and, per rule
(``verify_rules.py``), that variables are bound before use with one type and
that expressions are typed consistently (``verify_types.py``). Like Scallop's
analyzers it collects every problem instead of stopping at the first.
"""
from __future__ import annotations

from nsl.compiler import ir
from nsl.compiler.verify_rules import RuleContext, check_rule
from nsl.compiler.verify_types import (ExprChecker, describe_value, is_valid_type, out_of_range,
                                       value_has_type)
from nsl.lang.diagnostics import CompileError, Diagnostic, error

RELATION_KINDS = ("input", "edb", "idb")


def verify_module(module: ir.Module) -> list[Diagnostic]:
    """Every violation of the IR contract in ``module``, in module order (empty if valid)."""
    out: list[Diagnostic] = []
    schemas = _check_relations(module, out)
    _check_facts(module, schemas, out)
    stratum_of = _check_strata(module, schemas, out)
    indexes = _check_indexes(module, out)
    for index, stratum in enumerate(module.strata):
        for kind, rules in (("init", stratum.init), ("loop", stratum.loop)):
            ctx = RuleContext(schemas, stratum_of, index, stratum, kind, indexes)
            for rule in rules:
                check_rule(rule, ctx, out)
    _check_outputs(module, schemas, out)
    _check_provenance(module.provenance, out)
    return out


def check_module(module: ir.Module) -> ir.Module:
    """Raise :class:`CompileError` with every diagnostic if ``module`` is invalid; else return it."""
    diagnostics = verify_module(module)
    if diagnostics:
        raise CompileError(diagnostics)
    return module


def _check_relations(module: ir.Module, out: list) -> dict:
    schemas: dict = {}
    for rel in module.relations:
        if rel.name in schemas:
            out.append(error(f"relation {rel.name} is declared twice", rel.origin))
            continue
        schemas[rel.name] = rel
        if rel.kind not in RELATION_KINDS:
            out.append(error(f"relation {rel.name} has unknown kind {rel.kind!r}; "
                             f"expected one of {', '.join(RELATION_KINDS)}", rel.origin))
        for type_ in rel.types:
            if not is_valid_type(type_):
                out.append(error(f"relation {rel.name} has unknown column type {type_!r}",
                                 rel.origin))
    return schemas


def _check_indexes(module: ir.Module, out: list) -> dict:
    indexes: dict = {}
    for index in module.indexes:
        if index.name in indexes:
            out.append(error(f"index {index.name} is declared twice", index.origin))
            continue
        indexes[index.name] = index
        if isinstance(index.dim, bool) or not isinstance(index.dim, int) or index.dim < 1:
            out.append(error(f"index {index.name} has dimension {describe_value(index.dim)}; "
                             "expected a positive integer", index.origin))
        if index.quant not in ir.INDEX_QUANTS:
            out.append(error(f"index {index.name} has unknown quantization {index.quant!r}; "
                             f"expected one of {', '.join(ir.INDEX_QUANTS)}", index.origin))
        if index.metric not in ir.INDEX_METRICS:
            out.append(error(f"index {index.name} has unknown metric {index.metric!r}; "
                             f"expected one of {', '.join(ir.INDEX_METRICS)}", index.origin))
        if index.rerank is not None and (isinstance(index.rerank, bool)
                                         or not isinstance(index.rerank, int) or index.rerank < 1):
            out.append(error(f"index {index.name} has rerank {describe_value(index.rerank)}; "
                             "expected a positive integer", index.origin))
    return indexes


def _check_facts(module: ir.Module, schemas: dict, out: list) -> None:
    for facts in module.facts:
        rel = schemas.get(facts.rel)
        if rel is None:
            out.append(error(f"facts for undeclared relation {facts.rel}", facts.origin))
            continue
        for number, row in enumerate(facts.rows):
            where = f"fact {number} of {facts.rel}"
            # The row's own source, else the block's, else the declaration's.
            origin = row.origin or facts.origin or rel.origin
            if len(row.values) != len(rel.types):
                out.append(error(f"{where} has {len(row.values)} values "
                                 f"but {facts.rel} has arity {len(rel.types)}", origin))
                continue
            for column, (value, type_) in enumerate(zip(row.values, rel.types)):
                if not value_has_type(value, type_):
                    out.append(error(f"{where}: value {describe_value(value)} in column "
                                     f"{column} is not of type {type_}"
                                     + out_of_range(value, type_), origin))
            prob = row.prob
            if prob is not None and (isinstance(prob, bool) or not isinstance(prob, (int, float))
                                     or not 0 <= prob <= 1):
                out.append(error(f"{where}: probability {describe_value(prob)} "
                                 f"is not in [0, 1]", origin))
            if row.group is not None and (isinstance(row.group, bool)
                                          or not isinstance(row.group, int) or row.group < 0):
                out.append(error(f"{where}: group {describe_value(row.group)} "
                                 f"is not a non-negative integer", origin))


def _check_strata(module: ir.Module, schemas: dict, out: list) -> dict:
    """Which stratum computes each relation, reporting relations computed twice."""
    stratum_of: dict = {}
    for index, stratum in enumerate(module.strata):
        if not stratum.recursive and stratum.loop:
            out.append(error(f"stratum {index} has loop rules but is not recursive"))
        for name in stratum.relations:
            rel = schemas.get(name)
            if rel is None:
                out.append(error(f"stratum {index} computes undeclared relation {name}"))
            elif rel.kind != "idb":
                out.append(error(f"stratum {index} computes {name}, which is declared "
                                 f"{rel.kind}, not idb", rel.origin))
            if name in stratum_of:
                out.append(error(f"relation {name} is computed by two strata, "
                                 f"{stratum_of[name]} and {index}"))
            else:
                stratum_of[name] = index
    return stratum_of


def _check_outputs(module: ir.Module, schemas: dict, out: list) -> None:
    for name in module.outputs:
        if name not in schemas:
            out.append(error(f"output {name} is not a declared relation"))
    for query in module.queries:
        rel = schemas.get(query.rel)
        if rel is None:
            out.append(error(f"query of undeclared relation {query.rel}", query.origin))
            continue
        if len(query.args) != len(rel.types):
            out.append(error(f"query of {query.rel} has {len(query.args)} arguments "
                             f"but {query.rel} has arity {len(rel.types)}", query.origin))
            continue

        def report(message: str, query=query) -> None:
            out.append(error(f"query of {query.rel}: {message}", query.origin))

        # Query variables are free: each one is bound by the query itself.
        env: dict = {}
        for arg in query.args:
            if isinstance(arg, ir.ColRef):
                env.setdefault(arg.name, arg.type)
        for position, (arg, type_) in enumerate(zip(query.args, rel.types)):
            if isinstance(arg, ir.Wild):
                continue
            if not isinstance(arg, (ir.ColRef, ir.Lit)):
                report(f"argument {position} is not a variable, literal or _")
            elif ExprChecker(env, report).check(arg) != type_:
                report(f"argument {position} has type {arg.type} but the column is {type_}")


def _check_provenance(provenance, out: list) -> None:
    shape_ok = (isinstance(provenance, tuple) and len(provenance) == 2
                and isinstance(provenance[0], str) and isinstance(provenance[1], tuple)
                and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)
                        for p in provenance[1]))
    if not shape_ok:
        out.append(error(f"provenance {provenance!r} is not (name, ((key, value), ...))"))
