"""The SMT encoding and the interpreter agree on every single instruction.

They are written independently (the interpreter re-evaluates every solver
counterexample), so each op, with every flag, is run on the sign and overflow
edges of i4, poison included, through both: the encoding by substituting
constants.
"""
from __future__ import annotations

import itertools
import random

import pytest
import z3
from hypothesis import given, settings, strategies as st

from nsl.compiler.check_ir.instructions import lift_function
from nsl.compiler.check_ir.interpreter import evaluate
from nsl.compiler.check_ir.module_loader import parse_module
from nsl.compiler.check_ir.smt_encode import encode_function, make_inputs

FLAGS = {"add": ["nsw", "nuw"], "sub": ["nsw", "nuw"], "mul": ["nsw", "nuw"],
         "udiv": ["exact"], "sdiv": ["exact"], "urem": [], "srem": [],
         "shl": ["nsw", "nuw"], "lshr": ["exact"], "ashr": ["exact"], "and": [],
         "or": ["disjoint"], "xor": []}
PREDICATES = "eq ne ugt uge ult ule sgt sge slt sle".split()
INTRINSICS2 = ["umin", "umax", "smin", "smax", "uadd.sat", "usub.sat", "sadd.sat", "ssub.sat"]


def single_instruction_functions():
    """(IR text, argument widths) for every op/flag combination on i4."""
    out = []
    for op, flags in FLAGS.items():
        for n in range(len(flags) + 1):
            for chosen in itertools.combinations(flags, n):
                body = f"%r = {op} {' '.join(chosen)} i4 %a, %b\n  ret i4 %r"
                out.append((f"define i4 @f(i4 %a, i4 %b) {{\n  {body}\n}}", (4, 4)))
    for pred in PREDICATES:
        for flag in ("", "samesign "):
            out.append((f"define i1 @f(i4 %a, i4 %b) {{\n  %r = icmp {flag}{pred} i4 %a, %b\n"
                        "  ret i1 %r\n}", (4, 4)))
    out.append(("define i4 @f(i1 %c, i4 %a, i4 %b) {\n  %r = select i1 %c, i4 %a, i4 %b\n"
                "  ret i4 %r\n}", (1, 4, 4)))
    for cast, flags in (("zext", ["", "nneg "]), ("sext", [""])):
        for flag in flags:
            out.append((f"define i8 @f(i4 %a) {{\n  %r = {cast} {flag}i4 %a to i8\n  ret i8 %r\n}}", (4,)))
    for flag in ("", "nuw ", "nsw ", "nuw nsw "):
        out.append((f"define i4 @f(i8 %a) {{\n  %r = trunc {flag}i8 %a to i4\n  ret i4 %r\n}}", (8,)))
    for name in INTRINSICS2:
        out.append((f"define i4 @f(i4 %a, i4 %b) {{\n  %r = call i4 @llvm.{name}.i4(i4 %a, i4 %b)\n"
                    f"  ret i4 %r\n}}\ndeclare i4 @llvm.{name}.i4(i4, i4)", (4, 4)))
    for name in ("abs", "ctlz", "cttz"):
        for flag in ("true", "false"):
            out.append((f"define i4 @f(i4 %a) {{\n  %r = call i4 @llvm.{name}.i4(i4 %a, i1 {flag})\n"
                        f"  ret i4 %r\n}}\ndeclare i4 @llvm.{name}.i4(i4, i1)", (4,)))
    for name in ("ctpop", "bitreverse"):
        out.append((f"define i4 @f(i4 %a) {{\n  %r = call i4 @llvm.{name}.i4(i4 %a)\n  ret i4 %r\n}}\n"
                    f"declare i4 @llvm.{name}.i4(i4)", (4,)))
    for name in ("fshl", "fshr"):
        out.append((f"define i4 @f(i4 %a, i4 %b, i4 %c) {{\n"
                    f"  %r = call i4 @llvm.{name}.i4(i4 %a, i4 %b, i4 %c)\n  ret i4 %r\n}}\n"
                    f"declare i4 @llvm.{name}.i4(i4, i4, i4)", (4, 4, 4)))
    out.append(("define i16 @f(i16 %a) {\n  %r = call i16 @llvm.bswap.i16(i16 %a)\n  ret i16 %r\n}\n"
                "declare i16 @llvm.bswap.i16(i16)", (16,)))
    return out


def assert_agrees(fn, inputs_list):
    """Substitute each input into the encoding; compare with the interpreter."""
    values, poisons = make_inputs(fn)
    enc = encode_function(fn, values, poisons, unroll=4, tag="t")
    for inputs in inputs_list:
        subst = []
        for var, pvar, x in zip(values, poisons, inputs):
            subst += [(pvar, z3.BoolVal(x is None)),
                      (var, z3.BitVecVal(0 if x is None else x, var.size()))]

        def concrete(term):
            return z3.simplify(z3.substitute(term, *subst))
        if z3.is_true(concrete(enc.ub)):
            got = "ub"
        elif z3.is_true(concrete(enc.poison)):
            got = "poison"
        else:
            got = concrete(enc.value).as_long()
        assert got == evaluate(fn, inputs).to_json(), inputs


def input_space(widths, size=60, seed=0):
    """Boundary values and poison for every argument, a seeded sample of their
    combinations (the sign and overflow edges of i4 are 0, 1, 7, 8, 15)."""
    per_arg = [[None, 0, 1, 7, 8, 15, 3, 12] if w == 4 else [None, 0, 1] if w == 1 else
               [None, 0, 1, 7, 8, 127, 128, 255, (1 << w) - 1, 0x1234 & ((1 << w) - 1)]
               for w in widths]
    space = list(itertools.product(*per_arg))
    return random.Random(seed).sample(space, min(size, len(space)))


@pytest.mark.parametrize("text,widths", single_instruction_functions(),
                         ids=[t.split("%r = ", 1)[1].split("\n")[0][:40] for t, _ in
                              single_instruction_functions()])
def test_encoding_agrees_with_interpreter(text, widths):
    fn = lift_function(parse_module(text, "t"), "f")
    assert fn.in_subset, fn.unsupported
    assert_agrees(fn, input_space(widths))


@settings(max_examples=12, deadline=None)
@given(st.lists(st.sampled_from(["add", "sub", "mul", "xor", "and", "or"]), min_size=1, max_size=4),
       st.integers(0, 15))
def test_straight_line_chains_agree(ops, constant):
    """Chains mixing wrapping ops and constants agree on every i4 input pair."""
    lines, last = [], "%a"
    for i, op in enumerate(ops):
        other = "%b" if i % 2 == 0 else str(constant)
        lines.append(f"  %v{i} = {op} i4 {last}, {other}")
        last = f"%v{i}"
    text = "define i4 @f(i4 %a, i4 %b) {\n" + "\n".join(lines) + f"\n  ret i4 {last}\n}}"
    fn = lift_function(parse_module(text, "t"), "f")
    assert_agrees(fn, random.Random(constant).sample(list(itertools.product(range(16), range(16))), 40))
