"""Literal values a program writes down: fact arguments, probabilities and ints.

A fact's arguments are constants (a list literal cannot stand for a tensor:
tensor rows come from input files or Python); a probability is in [0, 1] and
the choices of an annotated disjunction sum to at most 1; an int literal fits
in 64 bits (an int written in a float column is read as a float, so must fit
in one) and a float literal is finite; a constant in a column declared with a
range or enum type (``type Digit = 0..9``) belongs to it, in facts and in rule
heads. Each error points at the offending value, so nothing reaches the
runtime that it would reject there with only a relation to blame.
"""
from __future__ import annotations

import dataclasses
import math

from nsl.lang import ast as A
from nsl.lang.check.symbols import SymbolTable
from nsl.lang.check.types import column_domains, const_type, domain_base, domain_text, in_domain
from nsl.lang.diagnostics import Diagnostic, Span, error
from nsl.lang.formatter_values import format_value
from nsl.lang.walk import expr_vars

INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1
_SLACK = 1e-9  # 0.1 + 0.2 + 0.7 is a little over 1 in floating point


def check_facts(program: A.Program, table: SymbolTable, diags: list[Diagnostic]) -> None:
    """Report bad fact arguments, probabilities and out-of-range int literals."""
    check = _Literals(table, diags)
    for stmt in program.statements:
        if isinstance(stmt, A.Rule):
            if stmt.prob is not None:
                check.probability(stmt.prob, _start(stmt.span))
            if stmt.body is None:
                check.fact(stmt.head)
            else:
                check.atom(stmt.head)
                check.domains(stmt.head)
                check.node(stmt.body)
        elif isinstance(stmt, A.AnnotatedDisjunction):
            for k, (prob, atom) in enumerate(stmt.choices):
                # Only the first probability's position is known: the statement starts there.
                if k == 0:
                    check.probability(prob, _start(stmt.span))
                else:
                    check.probability(prob, atom.span, " of this choice")
                check.fact(atom)
            total = sum(p for p, _ in stmt.choices)
            if total > 1 + _SLACK:
                diags.append(error(f"the probabilities of an annotated disjunction sum to at most 1, "
                                   f"but these sum to {total:.12g}", stmt.span))
        elif isinstance(stmt, A.Query):
            check.atom(stmt.atom)


def constant_value(arg):
    """The value of a constant argument (``-3`` included), else None."""
    if isinstance(arg, A.Const):
        return arg.value
    if isinstance(arg, A.Neg) and isinstance(arg.operand, A.Const) and \
            isinstance(arg.operand.value, (int, float)) and not isinstance(arg.operand.value, bool):
        return -arg.operand.value
    return None


def _start(span: Span) -> Span:
    return Span(span.file, span.line, span.col, span.line, span.col)


class _Literals:
    def __init__(self, table: SymbolTable, diags: list[Diagnostic]):
        self.table, self.diags = table, diags

    def column_types(self, atom: A.Atom) -> list:
        info = self.table.relations.get(atom.rel)
        if info is None or len(info.types) != len(atom.args):
            return [None] * len(atom.args)
        return info.types

    def probability(self, prob, span: Span, whose: str = "") -> None:
        if not 0 <= prob <= 1:
            self.diags.append(error(f"probability {prob!r}{whose} is not between 0 and 1", span))

    def fact(self, atom: A.Atom) -> None:
        for arg, type_ in zip(atom.args, self.column_types(atom)):
            if isinstance(arg, (A.Wildcard, A.Aggregate)) or any(expr_vars(arg)):
                continue  # the safety check explains these
            if isinstance(arg, A.Const) or (isinstance(arg, A.Neg) and isinstance(arg.operand, A.Const)):
                self.int_range(arg, type_)
            elif isinstance(arg, A.ListExpr) and (type_ or "").startswith("tensor"):
                info = self.table.relations[atom.rel]
                how = (f"load the rows of '{atom.rel}'" if info.is_input
                       else f"make '{atom.rel}' an `input` relation and load its rows")
                self.diags.append(error(f"a tensor value cannot be written in a fact; {how} from a "
                                        "JSONL file or from Python", arg.span))
            else:
                self.diags.append(error("a fact's arguments must be constants, not expressions",
                                        arg.span))
        self.domains(atom)

    def domains(self, atom: A.Atom) -> None:
        """Each constant argument must belong to its column's declared range or enum type."""
        for arg, found in zip(atom.args, column_domains(atom.rel, self.table)):
            value = constant_value(arg)
            if found is None or value is None:
                continue
            name, domain = found
            base, kind = domain_base(domain), const_type(value)
            if not (kind == base or (kind, base) == ("int", "float")):
                continue  # the type check reports it
            if kind == "int" and not INT_MIN <= value <= INT_MAX:
                continue  # int_range reports it
            if not in_domain(value, domain):
                self.diags.append(error(f"{format_value(value)} is not a value of type "
                                        f"{domain_text(name, domain)}", arg.span))

    def atom(self, atom: A.Atom) -> None:
        """Arguments of a rule's atom: a constant in a float column may be any int."""
        for arg, type_ in zip(atom.args, self.column_types(atom)):
            if type_ == "float" and constant_value(arg) is not None:
                self.int_range(arg, type_)
                continue
            self.node(arg)

    def node(self, node) -> None:
        """Every int literal under ``node`` (atoms by their columns) must fit in 64 bits.
        In source order, with an explicit stack: expressions nest as deep as they are long."""
        stack = [node]
        while stack:
            node = stack.pop()
            if isinstance(node, A.Atom):
                self.atom(node)
            elif isinstance(node, A.Neg) and isinstance(node.operand, A.Const):
                self.int_range(node, "int")
            elif isinstance(node, A.Const):
                self.int_range(node, "int")
            elif isinstance(node, tuple):
                stack.extend(reversed(node))
            elif dataclasses.is_dataclass(node):
                stack.extend(getattr(node, f.name) for f in reversed(dataclasses.fields(node))
                             if f.name != "span")

    def int_range(self, arg, type_) -> None:
        """An int literal fits in 64 bits (in a float column: in a float); a float literal
        is finite (``1e400`` is not)."""
        negative = isinstance(arg, A.Neg)
        value = arg.operand.value if negative else arg.value
        if negative and isinstance(value, int) and not isinstance(value, bool) and \
                not INT_MIN <= value <= INT_MAX:
            # the builder folds `-9223372036854775808` into one literal and wraps a negation
            # of a fitting int; what is left is a negation of a literal that does not fit
            # (`-(9223372036854775808)`): the literal is the error
            self.diags.append(error(f"int {value} does not fit in 64 bits", arg.operand.span))
            return
        if isinstance(value, float) and not math.isfinite(value):
            self.diags.append(error("this float is too large for 64 bits", arg.span))
            return
        if isinstance(value, bool) or not isinstance(value, int):
            return
        if type_ == "float":
            try:
                float(value)
            except OverflowError:
                self.diags.append(error("this int is too large for a float column", arg.span))
            return
        value = -value if negative else value
        if not INT_MIN <= value <= INT_MAX:
            self.diags.append(error(f"int {value} does not fit in 64 bits", arg.span))
