"""Lift an llvmlite function into :mod:`ir_model`.

llvmlite's binding exposes opcodes, operands and types but not icmp
predicates, poison flags, switch case values or call-site attributes, so those
are parsed from each instruction's text. A conditional ``br`` lists its
operands as ``[cond, false, true]``; the model stores ``(true, false)``.
"""
from __future__ import annotations

import re

from .ir_model import (Block, Const, Function, Inst, Param, Poison, Range, Ref,
                       Undef, mask)

BINARY_OPS = frozenset("add sub mul udiv sdiv urem srem shl lshr ashr and or xor".split())
CASTS = frozenset(("zext", "sext", "trunc"))
SIMPLE_OPS = BINARY_OPS | CASTS | frozenset(
    "icmp select freeze phi br switch ret unreachable".split())
INTRINSICS = frozenset((
    "umin", "umax", "smin", "smax", "abs", "ctpop", "ctlz", "cttz", "bswap",
    "bitreverse", "fshl", "fshr", "uadd.sat", "usub.sat", "sadd.sat", "ssub.sat",
    "assume"))
FLAG_WORDS = frozenset(("nsw", "nuw", "exact", "disjoint", "nneg", "samesign"))

_RESULT_NAME = re.compile(r'^\s*(%[-\w.$]+|%"[^"]*")\s*=')
_AFTER_EQ = re.compile(r"=\s*(\w+)((?:\s+\w+)*?)\s+(?=[<\[{]|i\d|ptr|void|half|float|double|label)")
_RANGE = re.compile(r"range\(i(\d+)\s+(-?\d+),\s*(-?\d+)\)")
_CASE = re.compile(r"i\d+\s+(-?\d+|true|false),\s*label")
_INT_TYPE = re.compile(r"^i(\d+)$")


def int_width(type_text: str) -> int:
    """The bit width of an integer type, 0 for any other type."""
    match = _INT_TYPE.match(type_text.strip())
    return int(match.group(1)) if match else 0


def parse_range(text: str) -> Range | None:
    match = _RANGE.search(text)
    if not match:
        return None
    width = int(match.group(1))
    return Range(int(match.group(2)) & mask(width), int(match.group(3)) & mask(width))


def _int_literal(token: str, width: int) -> int:
    if token == "true":
        return 1
    if token == "false":
        return 0
    return int(token) & mask(width)


class _Lifter:
    def __init__(self, fn):
        self.fn = fn
        self.names: dict[int, str] = {}
        self.unsupported: list[str] = []
        self.has_undef = False

    def note(self, reason: str) -> None:
        if reason not in self.unsupported:
            self.unsupported.append(reason)

    def operand(self, value):
        kind = value.value_kind.name
        width = int_width(str(value.type))
        if kind in ("argument", "instruction"):
            if width == 0:
                self.note(f"non-integer value of type {value.type}")
            return Ref(hash(value), width, self.names.get(hash(value), "%?"))
        if width == 0:
            self.note(f"non-integer operand {str(value).strip()[:40]}")
            return Const(1, 0)
        if kind == "constant_int":
            return Const(width, _int_literal(str(value).split()[-1], width))
        if kind == "poison_value":
            return Poison(width)
        if kind == "undef_value":
            self.has_undef = True
            return Undef(width)
        self.note(f"constant expression {str(value).strip()[:60]}")
        return Const(width, 0)

    def lift(self) -> Function:
        fn = self.fn
        params = []
        for index, arg in enumerate(fn.arguments):
            name = "%" + (arg.name or str(index))
            self.names[hash(arg)] = name
            type_text = str(arg.type)
            attrs = " ".join(a.decode() if isinstance(a, bytes) else str(a) for a in arg.attributes)
            width = int_width(type_text)
            if width == 0:
                self.note(f"argument of type {type_text}")
            params.append(Param(hash(arg), name, width, type_text,
                                noundef="noundef" in attrs.split(), range=parse_range(attrs)))
        for block in fn.blocks:  # name every result first: phis use values defined later
            for inst in block.instructions:
                match = _RESULT_NAME.match(str(inst))
                if match:
                    self.names[hash(inst)] = match.group(1)
        blocks = []
        for index, block in enumerate(fn.blocks):
            insts = tuple(self.instruction(inst) for inst in block.instructions)
            blocks.append(Block(hash(block), "%" + (block.name or f"bb{index}"), insts))
        header = _define_line(fn)
        ret_type = str(fn.global_value_type).split("(")[0].strip()
        ret_width = int_width(ret_type)
        if ret_width == 0 and ret_type != "void":
            self.note(f"return type {ret_type}")
        return Function(fn.name, tuple(params), ret_width, ret_type, tuple(blocks),
                        ret_noundef="noundef" in header.split(), ret_range=parse_range(header),
                        unsupported=tuple(self.unsupported), has_undef=self.has_undef)

    def instruction(self, inst) -> Inst:
        text = str(inst).strip()
        opcode = inst.opcode
        width = int_width(str(inst.type))
        key = hash(inst) if str(inst.type) != "void" else None
        name = self.names.get(hash(inst), "")
        operands = list(inst.operands)
        flags, predicate = _flags_and_predicate(text, opcode)
        if opcode == "call":
            return self.call(inst, text, operands, key, name, width)
        if opcode not in SIMPLE_OPS:
            kind = "memory" if opcode in ("load", "store", "alloca", "getelementptr") else "instruction"
            self.note(f"unsupported {kind}: {opcode}")
            return Inst(opcode, key, name, width, text=text)
        if str(inst.type) not in ("void",) and width == 0 and opcode not in ("br", "switch"):
            self.note(f"unsupported type {inst.type} in {opcode}")
        if opcode == "br":
            if len(operands) == 1:
                return Inst("br", None, "", 0, blocks=(hash(operands[0]),), text=text)
            cond, false_dest, true_dest = operands
            return Inst("br", None, "", 0, (self.operand(cond),),
                        blocks=(hash(true_dest), hash(false_dest)), text=text)
        if opcode == "switch":
            cond_width = int_width(str(operands[0].type))
            cases = tuple(_int_literal(tok, cond_width)
                          for tok in _CASE.findall(text.split("[", 1)[1] if "[" in text else ""))
            return Inst("switch", None, "", 0, (self.operand(operands[0]),),
                        blocks=tuple(hash(o) for o in operands[1:]), cases=cases, text=text)
        if opcode == "phi":
            return Inst("phi", key, name, width, tuple(self.operand(o) for o in operands),
                        blocks=tuple(hash(b) for b in inst.incoming_blocks), text=text)
        if opcode == "ret" and operands:
            return Inst("ret", None, "", 0, (self.operand(operands[0]),), text=text)
        return Inst(opcode, key, name, width, tuple(self.operand(o) for o in operands),
                    flags=flags, predicate=predicate, text=text)

    def call(self, inst, text, operands, key, name, width) -> Inst:
        callee = operands[-1].name if operands else ""
        base = callee[5:].rsplit(".", 1)[0] if callee.startswith("llvm.") else ""
        if base not in INTRINSICS:
            self.note(f"call to @{callee}")
            return Inst("call", key, name, width, text=text)
        head = text.split("@", 1)[0]  # call-site return attributes sit before the callee
        return Inst(base, key, name, width, tuple(self.operand(o) for o in operands[:-1]),
                    ret_noundef="noundef" in head.split(), ret_range=parse_range(head), text=text)


def _flags_and_predicate(text: str, opcode: str):
    match = _AFTER_EQ.search(text)
    words = match.group(2).split() if match else []
    flags = frozenset(w for w in words if w in FLAG_WORDS)
    predicate = None
    if opcode == "icmp":
        rest = [w for w in words if w not in FLAG_WORDS]
        predicate = rest[0] if rest else None
    return flags, predicate


def _define_line(fn) -> str:
    for line in str(fn).splitlines():
        if line.startswith("define"):
            return line.split("@", 1)[0]
    return ""


def lift_function(module, name: str) -> Function:
    """The model of ``@name`` from a parsed llvmlite module."""
    return _Lifter(module.get_function(name)).lift()
