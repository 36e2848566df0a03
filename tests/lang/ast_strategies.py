"""Hypothesis strategies for well-formed NSL ASTs: every tree they draw is one
the parser can produce, so ``parse(format_program(p)) == p`` must hold.

What "well-formed" excludes is what the syntax cannot say:
* ``Neg`` of a numeric constant (the parser folds ``-5`` into ``Const(-5)``);
* ``_``, durations, aggregates or built-in calls as an argmin/argmax objective
  (the objective is parsed as a body literal first);
* ``exists(...)``/``forall(...)`` aggregates at the head of a formula leaf
  (there the lexer reads them as the quantifiers);
* names that are keywords, primitive types or built-ins (see ``NAMES``).
"""
from __future__ import annotations

from hypothesis import strategies as st

from nsl.lang import ast as A

# No keyword (not, soft, forall, consistent, minimize, true, in, ...), primitive
# type (int, real, ...) or built-in (count, abs, distinct, ...) among them.
NAMES = ["a", "b", "x", "y", "n", "v", "edge", "path", "node", "score", "foo_bar", "Q2", "_t"]
TYPE_NAMES = ["Digit", "Color", "Name"]
PRIM_TYPES = ["int", "float", "real", "bool", "str", "tensor"]
COMPARE_OPS = ["=", "==", "!=", "<", "<=", ">", ">="]
BIN_OPS = ["+", "-", "*", "/", "%", "**", "++"]

names = st.sampled_from(NAMES)
variables = names.map(A.Var)
strings = st.text(max_size=6) | st.sampled_from(['"', "\\", "\n", "a\\nb", "//", "/*", "\u2028", "é"])
ints = st.integers(-(10 ** 12), 10 ** 12)
floats = st.floats(allow_nan=False, allow_infinity=False)
probabilities = st.floats(0, 1).map(abs) | st.sampled_from([0, 1])
constants = st.one_of(ints, floats, strings, st.booleans())


@st.composite
def durations(draw):
    whole = draw(st.integers(0, 5000))
    frac = draw(st.sampled_from(["", ".5", ".25", ".0"]))
    unit = draw(st.sampled_from(["s", "ms"]))
    text = f"{whole}{frac}{unit}"
    seconds = float(text[:-2]) / 1000 if unit == "ms" else float(text[:-1])
    return A.Duration(seconds, text)


def _neg(e):
    numeric = isinstance(e, A.Const) and isinstance(e.value, (int, float)) and not isinstance(e.value, bool)
    return A.Neg(A.Var("x") if numeric else e)


def _extend(inner):
    return st.one_of(
        st.builds(A.BinOp, st.sampled_from(BIN_OPS), inner, inner),
        inner.map(_neg),
        st.builds(A.Subscript, inner, inner),
        st.builds(A.ListExpr, st.lists(inner, max_size=3).map(tuple)),
        st.builds(A.Call, st.sampled_from(["abs", "min", "max", "distinct"]),
                  st.lists(inner, max_size=2).map(tuple)),
    )


def atoms(args):
    return st.builds(A.Atom, names, st.lists(args, max_size=3).map(tuple))


@st.composite
def chains(draw, operand):
    a, b, c = draw(operand), draw(operand), draw(operand)
    op1, op2 = draw(st.sampled_from(COMPARE_OPS)), draw(st.sampled_from(COMPARE_OPS))
    return A.Connective("and", A.Comparison(op1, a, b), A.Comparison(op2, b, c))


def comparisons(operand):
    return st.builds(A.Comparison, st.sampled_from(COMPARE_OPS), operand, operand)


def _bodies(literals):
    conj = st.lists(literals, min_size=1, max_size=3).map(tuple)
    return conj, st.lists(conj, min_size=1, max_size=2).map(lambda alts: A.Body(tuple(alts)))


# Generation, not formatting, is what costs time here, so nesting is bounded:
# aggregate bodies hold aggregate-free literals, and values hold such aggregates.
leaf_values = st.one_of(variables, st.just(A.Wildcard()), constants.map(A.Const), durations())
simple_values = st.recursive(leaf_values, _extend, max_leaves=4)
simple_literals = st.one_of(
    atoms(simple_values), atoms(simple_values).map(A.Negation),
    comparisons(simple_values), chains(simple_values),
    st.builds(A.Call, st.just("distinct"), st.lists(simple_values, max_size=2).map(tuple)),
)
simple_conjunctions, simple_bodies = _bodies(simple_literals)

# An objective is parsed as a body literal before it is known to be one.
objectives = variables | st.one_of(
    st.builds(A.BinOp, st.sampled_from(BIN_OPS), simple_values, simple_values),
    simple_values.map(_neg), constants.map(A.Const),
    st.builds(A.Subscript, simple_values, simple_values),
    st.builds(A.ListExpr, st.lists(simple_values, max_size=2).map(tuple)),
)


@st.composite
def _aggregate(draw, ops):
    op = draw(st.sampled_from(ops))
    needs_var = op not in ("count", "exists", "forall")
    agg_vars = tuple(draw(st.lists(variables, min_size=int(needs_var), max_size=2)))
    if op in ("argmin", "argmax"):
        return A.Aggregate(op, agg_vars, A.Body((draw(simple_conjunctions),)), objective=draw(objectives))
    consequent = draw(st.none() | simple_bodies) if op == "forall" else None
    return A.Aggregate(op, agg_vars, draw(simple_bodies), consequent=consequent)


value_aggregates = _aggregate(["count", "sum", "min", "max", "argmin", "argmax"])
quant_aggregates = _aggregate(["exists", "forall"])
aggregates = value_aggregates | quant_aggregates

# Values: expressions in argument and operand positions.
values = st.recursive(leaf_values | aggregates, _extend, max_leaves=5)
# The same without exists/forall aggregates, for the start of a formula leaf.
formula_values = st.recursive(leaf_values | value_aggregates, _extend, max_leaves=5)

body_literals = st.one_of(
    atoms(values), atoms(values).map(A.Negation),
    quant_aggregates.map(A.Negation), quant_aggregates,
    comparisons(values), chains(values),
    st.builds(A.Call, st.just("distinct"), st.lists(values, max_size=2).map(tuple)),
)
conjunctions, bodies = _bodies(body_literals)

# ---- formulas --------------------------------------------------------------------
dims = st.none() | st.lists(st.integers(-3, 64), min_size=1, max_size=3).map(tuple)
prim_types = st.builds(A.TypeExpr, st.sampled_from(PRIM_TYPES), dims)
type_exprs = prim_types | st.builds(A.TypeExpr, st.sampled_from(TYPE_NAMES), dims)
binders = st.one_of(
    st.builds(A.Binder, names),
    st.builds(A.Binder, names, prim_types),
    st.builds(A.Binder, names, st.none(), st.sampled_from(TYPE_NAMES)),
)
formula_leaves = st.one_of(
    atoms(values),
    comparisons(formula_values),
    chains(formula_values),
    st.builds(A.Call, st.just("distinct"), st.lists(values, max_size=2).map(tuple)),
)
formulas = st.recursive(formula_leaves, lambda inner: st.one_of(
    st.builds(A.Quantified, st.sampled_from(["forall", "exists", "exactly_one"]),
              st.lists(binders, min_size=1, max_size=2).map(tuple), inner),
    st.builds(A.Connective, st.sampled_from(["and", "or", "->", "<->"]), inner, inner),
    st.builds(A.Not, inner),
), max_leaves=5)

# ---- statements ------------------------------------------------------------------
# Settings positions (`key = value`, builder/prover/index arguments) also take
# calls to any name, e.g. `provenance = diff_topk_proofs(k = 3)`.
configs = st.recursive(simple_values | value_aggregates, lambda inner: st.builds(
    A.Call, names, st.lists(inner | st.builds(A.KwArg, names, inner), max_size=2).map(tuple)), max_leaves=3)
config_args = st.lists(configs | st.builds(A.KwArg, names, configs), max_size=3).map(tuple)
kwargs = st.lists(st.builds(A.KwArg, names, configs), max_size=3).map(tuple)
options = st.lists(st.builds(A.Option, names, configs), max_size=3).map(tuple)
params = st.lists(st.builds(A.Param, names, type_exprs), max_size=3).map(tuple)
sources = st.none() | strings

directives = st.builds(A.Directive, names, st.lists(
    names | st.builds(A.KwArg, names, constants.map(A.Const) | durations()), max_size=3).map(tuple))
type_decls = st.builds(A.TypeDecl, st.sampled_from(TYPE_NAMES), st.one_of(
    st.builds(A.RangeType, st.integers(-50, 50), st.integers(-50, 50)),
    st.builds(A.EnumType, st.lists(constants, min_size=1, max_size=4).map(tuple)),
    type_exprs))
decl_params = st.none() | params.filter(len)  # `rel p()` is an error: nullary is `rel p`
rel_decls = st.builds(A.RelDecl, names, decl_params, st.just(False)) | st.builds(
    A.RelDecl, names, decl_params, st.just(True), sources)
rules = st.builds(A.Rule, atoms(values), st.none() | bodies, st.none() | probabilities)
disjunctions = st.builds(A.AnnotatedDisjunction, st.lists(
    st.tuples(probabilities, atoms(values)), min_size=2, max_size=3).map(tuple))
builders = st.builds(A.Builder, st.just("stdlib"), names, config_args) | st.builds(
    A.Builder, st.just("python"), strings)
neural_decls = st.builds(A.NeuralDecl, names, params, type_exprs, builders)
train_stmts = st.builds(A.TrainStmt, st.lists(names, min_size=1, max_size=2).map(tuple),
                        names, sources, kwargs)
constraints = st.builds(A.ConstraintStmt, names, formulas, st.booleans(),
                        st.none() | st.floats(0, 10).map(abs))
provers = st.none() | st.builds(A.ProverSpec, names, config_args)
proves = st.builds(A.ProveStmt, names, formulas, provers) | st.builds(
    A.ProveStmt, st.just("consistent"), st.none(), provers)
entails = st.builds(A.EntailsStmt, names, formulas, options)
solves = st.builds(A.SolveStmt, names, params, st.lists(formulas, max_size=3).map(tuple),
                   st.lists(st.builds(A.Objective, st.sampled_from(["minimize", "maximize"]), values),
                            max_size=2).map(tuple))
indexes = st.builds(A.IndexDecl, names, config_args, sources)
check_irs = st.builds(A.CheckIrStmt, names, options)
imports = st.builds(A.Import, st.lists(names, min_size=1, max_size=3).map(tuple))
queries = st.builds(A.Query, atoms(values))

statements = st.one_of(
    directives, type_decls, rel_decls, rules, disjunctions, neural_decls, train_stmts,
    constraints, proves, entails, solves, indexes, check_irs, imports, queries)
programs = st.builds(A.Program, st.lists(statements, max_size=6).map(tuple), st.just("<fmt>"))
