"""Forms that belong to formulas, not rules: each one a rule writes, with what to write instead.

The parser reads one expression language for rules and for formulas (constraints,
``prove``, ``solve``), so a rule can hold what only a formula means. A rule body
is relation atoms (under ``not`` or not), comparisons and aggregates; a rule's
values -- in the head, in atom arguments, in comparisons, in an aggregate's
objective -- are variables, constants, arithmetic, ``abs(x)``, ``min(a, b, ...)``
and ``max(a, b, ...)``. This check reports, at the form, a chained comparison
(``a < b < c``) or ``distinct(...)`` standing as a literal, and a list, an index
(``q[i]``), a duration, a keyword argument, ``distinct`` or a call of the wrong
arity used as a value; aggregate bodies are rule bodies too. (An aggregate
written inside a comparison's expression or in a head is ``safety``'s to report.)
"""
from __future__ import annotations

from itertools import combinations

from nsl.lang import ast as A
from nsl.lang.diagnostics import Diagnostic, error, note
from nsl.lang.formatter import Unprintable, expr as format_expr

_CHAINED = "a chained comparison cannot appear in a rule body"


def check_rule_forms(program: A.Program, diags: list[Diagnostic]) -> None:
    """Report each literal or value of a rule that the rule language has no meaning for."""
    for stmt in program.statements:
        if isinstance(stmt, A.Rule) and stmt.body is not None:
            for arg in stmt.head.args:
                _value(arg, diags, aggregate_ok=True)  # safety reports a head's aggregate
            _body(stmt.body, diags)


def _body(body: A.Body, diags) -> None:
    for conj in body.alternatives:
        for lit in conj:
            _literal(lit, diags)


def _literal(lit, diags) -> None:
    if isinstance(lit, A.Atom):
        _arguments(lit.args, diags)
    elif isinstance(lit, A.Negation):
        _literal(lit.atom, diags)
    elif isinstance(lit, A.Aggregate):
        _aggregate(lit, diags)
    elif isinstance(lit, A.Comparison):
        for side in (lit.left, lit.right):
            _value(side, diags, aggregate_ok=True)  # safety reports one nested in arithmetic
    elif isinstance(lit, A.Connective) and _is_chain(lit):
        diags.append(error(_CHAINED, lit.span,
                           note(f"write it as two comparisons: `{_text(lit.left)}, {_text(lit.right)}`")))
    elif isinstance(lit, A.Call) and lit.func == "distinct":
        diags.append(error("`distinct(...)` cannot appear in a rule body: it is a constraint of "
                           "`solve` and of formulas", lit.span, _pairwise_note(lit)))
    else:
        diags.append(error("this cannot appear in a rule body", getattr(lit, "span", None),
                           note("a rule body holds relation atoms, `not` atoms, comparisons and "
                                "aggregates, separated by `,` (and) and `;` (or)")))


def _arguments(args, diags) -> None:
    for arg in args:
        if isinstance(arg, A.Aggregate):
            diags.append(error(f"an aggregate cannot be an argument of an atom; bind it to a variable "
                               f"first (`n = {arg.op}(...)`), then use the variable", arg.span))
            _aggregate(arg, diags)
        else:
            _value(arg, diags, aggregate_ok=False)


def _aggregate(agg: A.Aggregate, diags) -> None:
    _body(agg.body, diags)
    if agg.consequent is not None:
        _body(agg.consequent, diags)
    if agg.objective is not None:
        _arguments((agg.objective,), diags)


def _value(e, diags, aggregate_ok: bool) -> None:
    """Report the forms in expression ``e`` that a rule cannot compute, in source order
    (with an explicit stack: an expression nests as deep as it is long)."""
    stack = [e]
    while stack:
        e = stack.pop()
        if isinstance(e, A.BinOp):
            stack += (e.right, e.left)
        elif isinstance(e, A.Neg):
            stack.append(e.operand)
        elif isinstance(e, A.Call):
            stack.extend(reversed(_call(e, diags)))
        else:
            _form(e, diags, aggregate_ok)


def _form(e, diags, aggregate_ok: bool) -> None:
    if isinstance(e, (A.Var, A.Wildcard, A.Const)):
        return
    if isinstance(e, A.Aggregate):
        if not aggregate_ok:
            diags.append(error(f"bind the {e.op} to a variable first (`n = {e.op}(...)`), then use "
                               "the variable here", e.span))
        _aggregate(e, diags)
    elif isinstance(e, A.ListExpr):
        diags.append(error("a list cannot appear in a rule: a column holds one value per row", e.span,
                           note("write one row per element, e.g. `item(0, a). item(1, b).`; a tensor "
                                "column's values come from input files or Python")))
    elif isinstance(e, A.Subscript):
        diags.append(error("indexing cannot appear in a rule", e.span,
                           note("indexing is for `solve` and prover formulas; in a rule, keep the "
                                "elements as rows of a relation (e.g. `item(i, v)`) and join on them")))
    elif isinstance(e, A.Duration):
        diags.append(error("a duration cannot appear in a rule; it is a setting's value, as in "
                           "`z3(timeout = 2s)`", e.span))
    elif isinstance(e, A.KwArg):
        diags.append(error(f"a keyword argument (`{e.name} = ...`) cannot appear in a rule's value",
                           e.span))
    else:
        diags.append(error("this expression cannot appear in a rule", getattr(e, "span", None)))


def _call(e: A.Call, diags) -> tuple:
    """Report a call's own form; the arguments still to look at."""
    n = len(e.args)
    if e.func == "distinct":
        diags.append(error("`distinct(...)` is not a value in a rule: it is a constraint of `solve` "
                           "and of formulas", e.span, _pairwise_note(e)))
        return ()
    if e.func == "abs" and n != 1:
        diags.append(error(f"abs takes one argument, not {n}", e.span))
    elif e.func in ("min", "max") and n < 2:
        diags.append(error(f"{e.func} takes two or more values, not {n}", e.span,
                           note(f"for the {'least' if e.func == 'min' else 'greatest'} value of a "
                                f"relation, bind the aggregate: `m = {e.func}(v: body)`")))
    return e.args


def _is_chain(c: A.Connective) -> bool:
    """``a < b < c``: the parser's ``and`` of two comparisons sharing ``b``."""
    return (c.op == "and" and isinstance(c.left, A.Comparison) and isinstance(c.right, A.Comparison)
            and c.left.right == c.right.left)


def _pairwise_note(call: A.Call) -> Diagnostic:
    pairs = [f"{_text(a)} != {_text(b)}" for a, b in combinations(call.args, 2)]
    if pairs and len(pairs) <= 6:
        return note(f"in a rule, compare the values pairwise: `{', '.join(pairs)}`")
    return note("in a rule, compare the values pairwise with `!=`")


def _text(e) -> str:
    try:
        return format_expr(e)
    except Unprintable:
        return "..."
