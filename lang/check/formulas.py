"""Checks on first-order formulas: constraints, `prove`, `entails`, `solve`.

Every variable must be bound by a quantifier (or be a `solve` parameter);
relation arguments must match column types; arithmetic needs numbers.
Quantified variables without a type take the type of the columns they fill.
"""
from __future__ import annotations

from nsl.lang import ast as A
from nsl.lang.check.symbols import SymbolTable, suggest
from nsl.lang.check.types import NUMERIC, compatible, const_type, resolve_type
from nsl.lang.diagnostics import Diagnostic, error
from nsl.lang.walk import run_recursive


def check_formulas(program: A.Program, table: SymbolTable, diags: list[Diagnostic]) -> None:
    for stmt in program.statements:
        if isinstance(stmt, A.ConstraintStmt):
            _Scope(table, diags).formula(stmt.formula, {})
        elif isinstance(stmt, A.ProveStmt) and stmt.formula is not None:
            _Scope(table, diags, relations=True).formula(stmt.formula, {})
        elif isinstance(stmt, A.EntailsStmt):
            external = any(o.name == "premises" for o in stmt.options)
            _Scope(table, diags, relations=not external).formula(stmt.formula, {})
        elif isinstance(stmt, A.SolveStmt):
            env = {}
            for p in stmt.params:
                base = resolve_type(A.TypeExpr(p.type.name, None, p.type.span), table)
                if base not in NUMERIC + ("bool",):
                    diags.append(error(f"solve parameters are int, real or bool (arrays allowed), "
                                       f"not {p.type.name}", p.type.span))
                env[p.name] = (base or "int") + ("[]" if p.type.dims else "")
            scope = _Scope(table, diags)
            for f in stmt.constraints:
                scope.formula(f, env)
            for obj in stmt.objectives:
                t = scope.expr(obj.expr, env)
                if t is not None and t not in NUMERIC:
                    diags.append(error(f"{obj.kind} needs a number, got {t}", obj.span))


class _Scope:
    def __init__(self, table: SymbolTable, diags, relations: bool = True):
        self.table, self.diags, self.relations = table, diags, relations

    def formula(self, f, env: dict) -> None:
        run_recursive(self._formula(f, env))

    # _formula and _expr are generators run by run_recursive: `yield` stands for a recursive
    # call, so that a formula or expression as deep as it is long needs no deep Python stack
    def _formula(self, f, env: dict):
        if isinstance(f, A.Quantified):
            inner = dict(env)
            for b in f.binders:
                if b.type is not None:
                    inner[b.name] = resolve_type(b.type, self.table) + ("[]" if b.type.dims else "")
                elif b.domain is not None:
                    t = self.table.types.get(b.domain)
                    if t is None:
                        self.diags.append(error(f"unknown type '{b.domain}'" + suggest(b.domain, self.table.types),
                                                b.span))
                    inner[b.name] = resolve_type(A.TypeExpr(b.domain), self.table) if t else None
                else:
                    inner[b.name] = None  # inferred from use
            yield self._formula(f.body, inner)
            for b in f.binders:  # types learned inside stay local to the quantifier
                env.pop(b.name, None) if b.name not in env else None
        elif isinstance(f, A.Connective):
            yield self._formula(f.left, env)
            yield self._formula(f.right, env)
        elif isinstance(f, A.Not):
            yield self._formula(f.operand, env)
        elif isinstance(f, A.Atom):
            self.atom(f, env)
        elif isinstance(f, A.Comparison):
            lt = yield self._expr(f.left, env)
            rt = yield self._expr(f.right, env)
            if lt and rt and not (compatible(lt, rt) or compatible(rt, lt)):
                self.diags.append(error(f"cannot compare {lt} with {rt}", f.span))
        elif isinstance(f, A.Call):
            if f.func != "distinct":
                self.diags.append(error(f"'{f.func}' is not a formula", f.span))
            for a in f.args:
                yield self._expr(a, env)
        elif isinstance(f, A.Aggregate):
            self.diags.append(error("aggregates are not available inside formulas; derive them with a "
                                    "rule and refer to that relation", f.span))

    def atom(self, atom: A.Atom, env: dict) -> None:
        if not self.relations:
            return
        info = self.table.relations.get(atom.rel)
        if info is None or len(info.types) != len(atom.args):
            return  # reported by the symbol checks
        if info.builtin:
            return  # knn in a formula is knn_places' error; its first argument names an index
        for arg, column in zip(atom.args, info.types):
            if isinstance(arg, A.Var) and arg.name in env and env[arg.name] is None:
                env[arg.name] = column  # an untyped quantified variable takes its column's type
            got = self.expr(arg, env)
            if column and got and column != got and not (isinstance(arg, A.Const) and compatible(column, got)):
                self.diags.append(error(f"argument of '{atom.rel}' has type {column}, but this is {got}",
                                        getattr(arg, "span", atom.span)))

    def expr(self, e, env: dict):
        return run_recursive(self._expr(e, env))

    def _expr(self, e, env: dict):
        if isinstance(e, A.Const):
            return const_type(e.value)
        if isinstance(e, A.Wildcard):
            return None
        if isinstance(e, A.Var):
            if e.name not in env:
                self.diags.append(error(f"variable '{e.name}' is not bound by a quantifier "
                                        f"(write `forall {e.name}: ...` or `exists {e.name}: ...`)", e.span))
                env[e.name] = None
            return env[e.name]
        if isinstance(e, A.Subscript):
            base = yield self._expr(e.base, env)
            index = yield self._expr(e.index, env)
            if base is not None and not base.endswith("[]"):
                self.diags.append(error("only array parameters can be indexed", e.span))
            if index is not None and index != "int":
                self.diags.append(error(f"an index must be an int, not {index}", e.index.span))
            return base[:-2] if base and base.endswith("[]") else None
        if isinstance(e, A.BinOp):
            lt = yield self._expr(e.left, env)
            rt = yield self._expr(e.right, env)
            if e.op == "++":
                return "str"
            for t, side in ((lt, e.left), (rt, e.right)):
                if t is not None and t not in NUMERIC:
                    self.diags.append(error(f"'{e.op}' needs numbers, but this is {t}", getattr(side, "span", e.span)))
                    return None
            return "float" if "float" in (lt, rt) else (lt or rt)
        if isinstance(e, A.Neg):
            return (yield self._expr(e.operand, env))
        if isinstance(e, A.Call):
            types = []
            for a in e.args:
                types.append((yield self._expr(a, env)))
            if e.func == "distinct":
                return "bool"
            return next((t for t in types if t), None)
        return None
