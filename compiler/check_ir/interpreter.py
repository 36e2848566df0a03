"""A concrete interpreter of the model, with poison and UB, in plain Python.

It is written independently of the SMT encoding on purpose: every
counterexample from the solver is re-evaluated here before it is reported, so
a bug in one of the two shows up as a disagreement instead of a wrong verdict.
It also decides whether a native difference found by the differential stage
is real (the reference might have been poison at that input).

Each use of ``undef`` reads its value from ``choices`` (0 when absent): one
execution of the function, for one choice. Whether a value *depends* on undef
— branching on it, or passing it where ``noundef`` is required, is UB — is a
question about all choices, which one run cannot answer: values are tainted
by the undef uses they read (``freeze`` clears the taint), and an execution
that reaches such a use of a tainted value is ``undecided``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .cfg import analyse_loops
from .instructions import BINARY_OPS, CASTS
from .ir_model import Const, Function, Poison, Range, Ref, Undef, mask, to_signed, undef_key

POISON = object()


class _UB(Exception):
    pass


class _Undecided(Exception):
    """A branch or a ``noundef`` use of a value that may depend on undef."""


@dataclass(frozen=True)
class Outcome:
    """What one execution did: ``kind`` is value, poison, ub, cut or undecided."""
    kind: str
    value: int | None = None

    def to_json(self):
        if self.kind == "value":
            return self.value
        return self.kind


def _in_range(value: int, rng: Range, width: int) -> bool:
    return (value - rng.lo) % (1 << width) < (rng.hi - rng.lo) % (1 << width)


def _binary(op, flags, w, a, b):
    m, smin, smax = mask(w), -(1 << (w - 1)), (1 << (w - 1)) - 1
    if op in ("udiv", "urem", "sdiv", "srem"):
        if b is POISON or b == 0:
            raise _UB
        # poison may be INT_MIN, so a poison dividend over -1 is UB as well
        if op in ("sdiv", "srem") and b == m and (a is POISON or a == 1 << (w - 1)):
            raise _UB
    if a is POISON or b is POISON:
        return POISON
    sa, sb = to_signed(a, w), to_signed(b, w)
    if op == "add":
        r, bad = a + b, ("nuw" in flags and a + b > m) or ("nsw" in flags and not smin <= sa + sb <= smax)
    elif op == "sub":
        r, bad = a - b, ("nuw" in flags and a < b) or ("nsw" in flags and not smin <= sa - sb <= smax)
    elif op == "mul":
        r, bad = a * b, ("nuw" in flags and a * b > m) or ("nsw" in flags and not smin <= sa * sb <= smax)
    elif op == "udiv":
        r, bad = a // b, "exact" in flags and a % b != 0
    elif op == "urem":
        r, bad = a % b, False
    elif op in ("sdiv", "srem"):
        quotient = abs(sa) // abs(sb) * (1 if (sa < 0) == (sb < 0) else -1)  # truncating
        remainder = sa - quotient * sb
        r = quotient if op == "sdiv" else remainder
        bad = op == "sdiv" and "exact" in flags and remainder != 0
    elif op in ("shl", "lshr", "ashr"):
        if b >= w:
            return POISON
        if op == "shl":
            r = (a << b) & m
            bad = ("nuw" in flags and r >> b != a) or ("nsw" in flags and to_signed(r, w) >> b != sa)
        else:
            r = a >> b if op == "lshr" else sa >> b
            bad = "exact" in flags and (r << b) & m != a
    elif op == "and":
        r, bad = a & b, False
    elif op == "or":
        r, bad = a | b, "disjoint" in flags and a & b != 0
    else:
        r, bad = a ^ b, False
    return POISON if bad else r & m


_PREDICATES = {
    "eq": lambda a, b, sa, sb: a == b, "ne": lambda a, b, sa, sb: a != b,
    "ugt": lambda a, b, sa, sb: a > b, "uge": lambda a, b, sa, sb: a >= b,
    "ult": lambda a, b, sa, sb: a < b, "ule": lambda a, b, sa, sb: a <= b,
    "sgt": lambda a, b, sa, sb: sa > sb, "sge": lambda a, b, sa, sb: sa >= sb,
    "slt": lambda a, b, sa, sb: sa < sb, "sle": lambda a, b, sa, sb: sa <= sb,
}


def _intrinsic(op, w, args):
    if op == "assume":
        if args[0] is POISON or args[0] == 0:
            raise _UB
        return None
    if any(a is POISON for a in args):
        return POISON
    m = mask(w)
    a = args[0]
    b = args[1] if len(args) > 1 else None
    sa = to_signed(a, w)
    if op in ("umin", "umax"):
        return min(a, b) if op == "umin" else max(a, b)
    if op in ("smin", "smax"):
        pick = min(sa, to_signed(b, w)) if op == "smin" else max(sa, to_signed(b, w))
        return pick & m
    if op == "abs":
        return POISON if b == 1 and sa == -(1 << (w - 1)) else abs(sa) & m
    if op == "ctpop":
        return bin(a).count("1")
    if op in ("ctlz", "cttz"):
        if a == 0:
            return POISON if b == 1 else w
        return w - a.bit_length() if op == "ctlz" else (a & -a).bit_length() - 1
    if op == "bswap":
        return int.from_bytes(a.to_bytes(w // 8, "little"), "big")
    if op == "bitreverse":
        return int(format(a, f"0{w}b")[::-1], 2)
    if op in ("fshl", "fshr"):
        s = args[2] % w
        joined = (a << w) | b
        return ((joined << s) >> w) & m if op == "fshl" else (joined >> s) & m
    if op == "uadd.sat":
        return min(a + b, m)
    if op == "usub.sat":
        return max(a - b, 0)
    sb = to_signed(b, w)
    r = sa + sb if op == "sadd.sat" else sa - sb
    return max(min(r, (1 << (w - 1)) - 1), -(1 << (w - 1))) & m


def evaluate(fn: Function, inputs, unroll: int = 1 << 20, choices=None) -> Outcome:
    """Run ``fn`` on ``inputs`` (ints, or None for a poison input).

    ``choices`` maps ``(freeze key, back-edge counts)`` to the value a freeze
    of poison picks, and ``undef_key(site, counts)`` to the value of
    one use of undef (0 when absent). Runs past ``unroll`` back edges give
    ``cut``; reaching a branch or ``noundef`` use of a value that may depend
    on undef gives ``undecided``.
    """
    try:
        return _run(fn, inputs, unroll, choices or {})
    except _UB:
        return Outcome("ub")
    except _Undecided:
        return Outcome("undecided")


def _run(fn, inputs, unroll, choices):
    loops = analyse_loops(fn)
    env = {}
    for param, value in zip(fn.params, inputs):
        value = POISON if value is None else value & mask(param.width)
        if value is not POISON and param.range is not None and not _in_range(value, param.range, param.width):
            value = POISON
        if value is POISON and param.noundef:
            raise _UB
        env[param.key] = value
    entry = dict(env)
    tainted = set()   # keys of values that may depend on undef

    def read(op, site):
        if isinstance(op, Const):
            return op.value
        if isinstance(op, Poison):
            return POISON
        if isinstance(op, Undef):
            return choices.get(undef_key(site, counts), 0) & mask(op.width)
        assert isinstance(op, Ref)
        return env[op.key]

    def is_tainted(op):
        return isinstance(op, Undef) or (isinstance(op, Ref) and op.key in tainted)

    counts = [0] * len(loops.back_edges)
    block, pred = fn.blocks[0], None
    while True:
        phis, phi_taint = {}, set()
        for position, i in enumerate(block.insts):
            if i.opcode == "phi":
                index = i.blocks.index(pred)
                phis[i.key] = read(i.args[index], (block.key, position, index))
                if is_tainted(i.args[index]):
                    phi_taint.add(i.key)
        env.update(phis)
        tainted.difference_update(phis)
        tainted.update(phi_taint)
        for position, inst in enumerate(block.insts):
            if inst.opcode == "phi":
                continue
            op = inst.opcode
            site = (block.key, position)
            if op in ("br", "switch"):
                if op == "br" and not inst.args:
                    target = inst.blocks[0]
                else:
                    cond = read(inst.args[0], site + (0,))
                    if cond is POISON:
                        raise _UB
                    if is_tainted(inst.args[0]):
                        raise _Undecided
                    if op == "br":
                        target = inst.blocks[0] if cond == 1 else inst.blocks[1]
                    else:
                        target = inst.blocks[0]
                        for value, dest in zip(inst.cases, inst.blocks[1:]):
                            if cond == value:
                                target = dest
                                break
                index = loops.edge_index(block.key, target)
                if index is not None:
                    counts[index] += 1
                    if counts[index] > unroll:
                        return Outcome("cut")
                pred, block = block.key, fn.block(target)
                break
            if op == "ret":
                if not inst.args:
                    return Outcome("value", None)
                value = read(inst.args[0], site + (0,))
                if value is not POISON and fn.ret_noundef and is_tainted(inst.args[0]):
                    raise _Undecided
                if value is not POISON and fn.ret_range and not _in_range(value, fn.ret_range, fn.ret_width):
                    value = POISON
                for param in fn.params:
                    if param.returned and value != entry[param.key]:
                        raise _UB  # returning anything but that argument
                if value is POISON:
                    if fn.ret_noundef:
                        raise _UB
                    return Outcome("poison")
                return Outcome("value", value)
            if op == "unreachable":
                raise _UB
            taint = [is_tainted(a) for a in inst.args]
            env[inst.key] = _instruction(inst, [read(a, site + (i,)) for i, a in enumerate(inst.args)],
                                         counts, choices, taint)
            if any(taint) and op != "freeze":  # a frozen value is one fixed value
                tainted.add(inst.key)
            else:
                tainted.discard(inst.key)


def _instruction(inst, args, counts, choices, taint):
    op, w = inst.opcode, inst.width
    for i, arg in enumerate(args):  # call-site argument attributes
        rng = inst.arg_ranges[i] if i < len(inst.arg_ranges) else None
        if arg is not POISON and rng is not None and not _in_range(arg, rng, inst.args[i].width):
            args[i] = arg = POISON
        if i < len(inst.arg_noundef) and inst.arg_noundef[i]:
            if arg is POISON:
                raise _UB
            if taint[i]:
                raise _Undecided
    if op in BINARY_OPS:
        value = _binary(op, inst.flags, w, args[0], args[1])
    elif op == "icmp":
        a, b = args
        if a is POISON or b is POISON:
            value = POISON
        else:
            aw = inst.args[0].width
            sa, sb = to_signed(a, aw), to_signed(b, aw)
            if "samesign" in inst.flags and (sa < 0) != (sb < 0):
                value = POISON
            else:
                value = int(_PREDICATES[inst.predicate](a, b, sa, sb))
    elif op in CASTS:
        a, src_w = args[0], inst.args[0].width
        if a is POISON:
            value = POISON
        elif op == "zext":
            value = POISON if "nneg" in inst.flags and a >> (src_w - 1) else a
        elif op == "sext":
            value = to_signed(a, src_w) & mask(w)
        else:
            value = a & mask(w)
            if ("nuw" in inst.flags and value != a) or \
               ("nsw" in inst.flags and to_signed(value, w) != to_signed(a, src_w)):
                value = POISON
    elif op == "select":
        c, a, b = args
        value = POISON if c is POISON else (a if c == 1 else b)
    elif op == "freeze":
        value = args[0]
        if value is POISON:
            value = choices.get((inst.key, tuple(counts)), 0) & mask(w)
    else:
        value = _intrinsic(op, w, args)
    if value is not POISON and value is not None and inst.ret_range is not None \
            and not _in_range(value, inst.ret_range, w):
        value = POISON
    if value is not POISON and value is not None and inst.md_range \
            and not any(_in_range(value, r, w) for r in inst.md_range):
        value = POISON
    if value is POISON and inst.ret_noundef:
        raise _UB
    if inst.ret_noundef and value is not None and any(taint):
        raise _Undecided
    return value
