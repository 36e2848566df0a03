"""Lowering one conjunction of a rule body into an IR operator pipeline.

Literals run in the order ``nsl.lang.schedule`` gives (the first, in source
order, whose needs are bound), each lowered to its operators; aggregates become
correlated sub-pipelines whose keys are the variables they share with the rest
of the rule. A comparison with ``exists``/``forall`` (``b = exists(...)``) first
becomes two alternatives (``split_conditions``), since the IR's ``exists`` keeps
or drops rows rather than computing a value.
"""
from __future__ import annotations

import dataclasses
import operator

from nsl.compiler import ir
from nsl.lang import ast as A
from nsl.lang.check.types import column_domains, const_type, domain_text, domain_within
from nsl.lang.diagnostics import CompileError, error, note
from nsl.lang.schedule import CONDITIONS, compared_aggregate, needs_and_binds, next_literal, split_atom
from nsl.lang.walk import aggregate_keys, expr_vars, literal_vars, run_recursive

_BINOPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "**": "pow", "++": "concat"}
_CMPOPS = {"=": "eq", "==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
# ``a OP b`` is ``b FLIPPED[OP] a``
_FLIPPED = {"=": "=", "==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def constant_value(arg):
    if isinstance(arg, A.Const):
        return arg.value
    if isinstance(arg, A.Neg) and isinstance(arg.operand, A.Const):
        return -arg.operand.value
    return None


class RuleScope:
    """Lowers one conjunction; tracks bound variables and their types."""

    def __init__(self, lowering, conj, head: A.Atom | None,
                 bound: dict[str, str] | None = None, taken: set[str] | None = None):
        self.lowering = lowering
        self.bound: dict[str, str] = dict(bound or {})
        self.taken = taken if taken is not None else set()
        self.taken |= {v.name for lit in conj for v in literal_vars(lit)}
        if head is not None:
            self.taken |= {v.name for a in head.args for v in expr_vars(a)}
        self.head = head
        self.conj = conj
        self.domains: dict = {}  # variable -> the range/enum type of a column it was joined on

    def fresh(self) -> str:
        i = 0
        while f"_t{i}" in self.taken:
            i += 1
        self.taken.add(f"_t{i}")
        return f"_t{i}"

    # -- scheduling ----------------------------------------------------------
    def schedule(self, conj) -> list:
        ops: list = []
        pending = list(conj)
        while pending:
            found = next_literal(pending, self.conj, self.head_names(), self.bound,
                                 self.lowering.symbols)
            if found is None:
                raise CompileError([self.unorderable(pending[0])])
            lit = pending.pop(found[0])
            if found[2]:  # nothing binds its expression arguments first: scan, then check them
                lit, checks = split_atom(lit, self.fresh)
                pending.extend(checks)
            self.lower_literal(lit, ops)
        return ops

    def unorderable(self, lit):
        """Why no order runs ``lit``: the variables it needs that nothing binds first.

        The checks report the causes a user meets (an aggregate needing its own
        result, ``==`` where ``=`` binds); this names what is missing for any other."""
        needs, _ = needs_and_binds(lit, self.conj, self.head_names(), self.bound, self.lowering.symbols)
        missing = [n for n in needs if n not in self.bound]
        agg, _ = compared_aggregate(lit)
        names = ", ".join(f"'{n}'" for n in missing) or "its variables"
        message = (f"cannot order this literal: it needs {names} bound first, and no literal of the "
                   f"rule can bind {'it' if len(missing) == 1 else 'them'} before this one runs")
        if agg is None:
            return error(message, getattr(lit, "span", None))
        return error(message, getattr(lit, "span", None),
                     note(f"a {agg.op} runs once its keys (the variables its body shares with the rest "
                          "of the rule) are bound; bind them by an atom outside it, or rename the ones "
                          "inside it that mean other values"))

    def head_names(self) -> set[str]:
        if self.head is None:
            return set()
        return {v.name for a in self.head.args for v in expr_vars(a)}

    def lower_literal(self, lit, ops) -> None:
        """Append the operators of ``lit``, which the schedule says can run now."""
        if isinstance(lit, A.Atom):
            info = self.lowering.symbols.relations[lit.rel]
            if info.neural is not None:
                self.neural(lit, ops)
            elif info.builtin:
                self.knn(lit, ops)
            else:
                self.join(lit, ops)
        elif isinstance(lit, A.Negation) and isinstance(lit.atom, A.Aggregate):
            self.aggregate(lit.atom, None, ops, negated=True)
        elif isinstance(lit, A.Negation):
            if self.lowering.symbols.relations[lit.atom.rel].builtin:  # the checker's error first
                raise CompileError([error(f"{lit.atom.rel} cannot be negated", lit.span)])
            types = self.lowering.types_of(lit.atom.rel)
            args = tuple(self.term(a, ops, want=t) for a, t in zip(lit.atom.args, types))
            ops.append(ir.AntiJoin(lit.atom.rel, args, origin=lit.span))
        elif isinstance(lit, A.Aggregate):
            self.aggregate(lit, None, ops)
        elif isinstance(lit, A.Comparison):
            self.comparison(lit, ops)
        else:  # the `rule_forms` check reports it first; kept for unchecked input
            raise CompileError([error("this cannot appear in a rule body", getattr(lit, "span", None))])

    def join(self, atom: A.Atom, ops) -> None:
        types = self.lowering.types_of(atom.rel)
        domains = column_domains(atom.rel, self.lowering.symbols)
        args = []
        for arg, t, found in zip(atom.args, types, domains):
            if isinstance(arg, A.Var) and arg.name not in self.bound:
                self.bound[arg.name] = t
            if isinstance(arg, A.Var) and found is not None:
                self.domains[arg.name] = found[1]  # joined on the column: a value of its type
            args.append(self.term(arg, ops, want=t))
        ops.append(ir.Join(atom.rel, "full", tuple(args), origin=atom.span))

    def term(self, arg, ops, want: str | None = None):
        if isinstance(arg, A.Wildcard):
            return ir.Wild()
        value = constant_value(arg)
        if value is not None:
            t = want or const_type(value)
            return ir.Lit(float(value) if t == "float" and not isinstance(value, bool) else value, t)
        if isinstance(arg, A.Var):
            return ir.ColRef(arg.name, self.bound[arg.name])
        # an expression argument: compute it, then match on it
        expr = self.expr(arg)
        name = self.fresh()
        ops.append(ir.Map(name, expr, origin=arg.span))
        self.bound[name] = expr.type
        return ir.ColRef(name, expr.type)

    def comparison(self, lit: A.Comparison, ops) -> None:
        agg, target = compared_aggregate(lit)
        if agg is not None:
            if isinstance(target, A.Aggregate):  # count(...) = count(...): the left one first
                name = self.fresh()
                self.aggregate(target, A.Var(name, target.span), ops)
                target = A.Var(name, target.span)
            self.aggregate(agg, target, ops, compare=lit.op if agg is lit.right else _FLIPPED[lit.op])
            return
        if lit.op == "=":
            for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
                if isinstance(target, A.Var) and target.name not in self.bound:
                    expr = self.expr(source)
                    ops.append(ir.Map(target.name, expr, origin=lit.span))
                    self.bound[target.name] = expr.type
                    return
        ops.append(ir.Filter(self.compare(lit.op, self.expr(lit.left), self.expr(lit.right)), origin=lit.span))

    def compare(self, op: str, left, right):
        return ir.BinExpr(_CMPOPS[op], left, right, "bool")

    # -- the head ---------------------------------------------------------------
    def head_values(self, types, domains, ops):
        """The head's expressions, and a Check for each value the rule computes into a column
        of a range or enum type (its Map appended to ``ops``). Constants need none (the checker
        proved them), nor a variable joined on a column whose type lies within the column's."""
        exprs, checks = [], []
        for arg, t, found in zip(self.head.args, types, domains):
            e = self.expr(arg, want=t)
            if found is not None and not isinstance(e, ir.Lit) and not (
                    isinstance(arg, A.Var) and arg.name in self.domains
                    and domain_within(self.domains[arg.name], found[1])):
                if not isinstance(e, ir.ColRef):
                    name = self.fresh()
                    ops.append(ir.Map(name, e, origin=arg.span))
                    self.bound[name] = e.type
                    e = ir.ColRef(name, e.type)
                checks.append(_domain_check(e, found, arg.span))
            exprs.append(e)
        return tuple(exprs), checks

    # -- aggregates -----------------------------------------------------------
    def aggregate(self, agg: A.Aggregate, target, ops, negated: bool = False,
                  compare: str = "=") -> None:
        """Lower ``agg``; with a ``target``, ``target COMPARE agg`` (``=`` binds an unbound variable)."""
        keys = aggregate_keys(agg, self.conj, self.head_names(), self.bound)
        binds = isinstance(target, A.Var) and target.name not in self.bound and compare == "="
        op = agg.op
        if op == "forall":
            # forall(x: A -> B)  ==  not exists(x: A, not exists(B))
            op, negated = "exists", not negated
            inner_consequent = A.Aggregate("exists", (), agg.consequent, span=agg.span)
            body = A.Body(tuple(conj + (A.Negation(inner_consequent, agg.span),)
                                for conj in agg.body.alternatives), agg.body.span)
            agg = A.Aggregate("exists", agg.vars, body, span=agg.span)
        key_types = {k: self.bound[k] for k in keys}
        bodies, body_scope = [], None
        for conj in (alt for c in agg.body.alternatives for alt in split_conditions(c)):
            scope = RuleScope(self.lowering, conj, None, key_types, self.taken)
            scope.head = A.Atom("", tuple(agg.vars) + ((agg.objective,) if agg.objective else ()))
            bodies.append(tuple(scope.schedule(conj)))
            body_scope = body_scope or scope
        var_names = tuple(v.name for v in agg.vars)
        objective = body_scope.expr(agg.objective) if agg.objective is not None else None
        var_types = [body_scope.bound.get(v, "int") for v in var_names]
        if op in ("exists",):
            ir_op = "not_exists" if negated else "exists"
            ops.append(ir.Aggregate(ir_op, (), var_names, tuple(keys), tuple(bodies), origin=agg.span))
            return
        if op in ("argmin", "argmax"):
            result_types = tuple(var_types)
            n_results = len(var_names)
        else:
            result_types = ("int",) if op == "count" else (var_types[0],)
            n_results = 1
        if binds and n_results == 1:
            results = (target.name,)
            post = None
        else:
            results = tuple(self.fresh() for _ in range(n_results))
            post = target
        ops.append(ir.Aggregate(op, results, var_names, tuple(keys), tuple(bodies), objective,
                                result_types, origin=agg.span))
        for name, t in zip(results, result_types):
            self.bound[name] = t
        if post is not None:
            if n_results != 1:
                raise CompileError([error(f"{op} over several variables gives several values; "
                                          "bind it to one variable", agg.span)])
            result = ir.ColRef(results[0], result_types[0])
            ops.append(ir.Filter(self.compare(compare, self.expr(post), result), origin=agg.span))

    # -- neural and knn: lowered so the IR shows them; the runtime runs them later --
    def neural(self, atom: A.Atom, ops) -> None:
        inputs = []
        for a in atom.args[:-1]:
            term = self.term(a, ops)
            if isinstance(term, ir.Lit):  # a constant input: materialise it as a column
                name = self.fresh()
                ops.append(ir.Map(name, term, origin=atom.span))
                self.bound[name] = term.type
                term = ir.ColRef(name, term.type)
            inputs.append(term.name)
        inputs = tuple(inputs)
        out = atom.args[-1]
        out_type = self.lowering.types_of(atom.rel)[-1]
        if isinstance(out, A.Var) and out.name not in self.bound:
            ops.append(ir.Neural(atom.rel, inputs, out.name, origin=atom.span))
            self.bound[out.name] = out_type
        else:
            name = self.fresh()
            ops.append(ir.Neural(atom.rel, inputs, name, origin=atom.span))
            self.bound[name] = out_type
            if not isinstance(out, A.Wildcard):
                ops.append(ir.Filter(self.compare("=", ir.ColRef(name, out_type), self.expr(out, want=out_type)),
                                     origin=atom.span))

    def knn(self, atom: A.Atom, ops) -> None:
        index, vector, k, ident, score = atom.args
        if not isinstance(index, A.Var) or index.name not in self.lowering.symbols.indexes:
            raise CompileError([error("knn's first argument names an `index` declared in the program",
                                      getattr(index, "span", atom.span))])
        vec = self.term(vector, ops)
        names, checks = [], []
        for arg, t in ((ident, "int"), (score, "float")):
            if isinstance(arg, A.Var) and arg.name not in self.bound:
                names.append(arg.name)
            else:  # a constant, a bound variable or `_`: bind a fresh column, then compare
                names.append(self.fresh())
                if not isinstance(arg, A.Wildcard):
                    checks.append((names[-1], t, arg))
        k_expr = self.expr(k)
        for name, t in zip(names, ("int", "float")):
            self.bound[name] = t
        ops.append(ir.Knn(index.name, vec.name, k_expr, names[0], names[1], origin=atom.span))
        for name, t, arg in checks:
            ops.append(ir.Filter(self.compare("=", ir.ColRef(name, t), self.expr(arg, want=t)),
                                 origin=atom.span))

    # -- expressions ------------------------------------------------------------
    def expr(self, e, want: str | None = None):
        return run_recursive(self._expr(e, want))

    def _expr(self, e, want: str | None = None):
        # a generator run by run_recursive: `yield` stands for a recursive call, so that an
        # expression as deep as it is long (`y + 1 + 1 + ...`) needs no deep Python stack
        if isinstance(e, A.Var):
            return ir.ColRef(e.name, self.bound[e.name])
        value = constant_value(e)
        if value is not None:
            t = want if want in ("float",) and not isinstance(value, (bool, str)) else const_type(value)
            return ir.Lit(float(value) if t == "float" else value, t)
        if isinstance(e, A.BinOp):
            left = yield self._expr(e.left)
            right = yield self._expr(e.right)
            if e.op == "++":
                t = "str"
            else:
                t = "float" if "float" in (left.type, right.type) else left.type
            return ir.BinExpr(_BINOPS[e.op], left, right, t)
        if isinstance(e, A.Neg):
            operand = yield self._expr(e.operand)
            return ir.UnExpr("neg", operand, operand.type)
        if isinstance(e, A.Call) and e.func == "abs" and len(e.args) == 1:
            operand = yield self._expr(e.args[0])
            return ir.UnExpr("abs", operand, operand.type)
        if isinstance(e, A.Call) and e.func in ("min", "max") and len(e.args) >= 2:
            result = yield self._expr(e.args[0])
            for a in e.args[1:]:
                right = yield self._expr(a)
                t = "float" if "float" in (result.type, right.type) else result.type
                result = ir.BinExpr(e.func, result, right, t)
            return result
        # the `rule_forms` check reports it first; kept for unchecked input
        raise CompileError([error("this expression is not supported in a rule", getattr(e, "span", None))])


_FOLD = {"=": operator.eq, "==": operator.eq, "!=": operator.ne, "<": operator.lt,
         "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def split_conditions(conj) -> list[tuple]:
    """``conj`` with each comparison that has an ``exists``/``forall`` side as alternatives:
    ``b = exists(B)`` is ``exists(B), b = true`` or ``not exists(B), b = false``. Under a
    probabilistic provenance the two carry the body's probability and its complement."""
    alternatives: list[tuple] = [()]
    for lit in conj:
        choices = _condition_choices(lit)
        alternatives = [alt + choice for alt in alternatives for choice in choices]
    return alternatives


def _condition_choices(lit) -> list[tuple]:
    if not isinstance(lit, A.Comparison):
        return [(lit,)]
    for side in ("left", "right"):
        agg = getattr(lit, side)
        if isinstance(agg, A.Aggregate) and agg.op in CONDITIONS:
            out = []
            for value, test in ((True, agg), (False, A.Negation(agg, agg.span))):
                rest = dataclasses.replace(lit, **{side: A.Const(value, agg.span)})
                out += [(test, *choice) for choice in _condition_choices(rest)]
            return out
    if isinstance(lit.left, A.Const) and isinstance(lit.right, A.Const) and \
            isinstance(lit.left.value, bool) and isinstance(lit.right.value, bool):
        # both sides were conditions: the alternative holds or not, whatever the rows
        return [()] if _FOLD[lit.op](lit.left.value, lit.right.value) else []
    return [(lit,)]


def _domain_check(e, found, span) -> ir.Check:
    name, domain = found
    text = domain_text(name, domain)
    if isinstance(domain, A.RangeType):
        return ir.Check(e, text, domain.lo, domain.hi, origin=span)
    return ir.Check(e, text, values=tuple(domain.values), origin=span)
