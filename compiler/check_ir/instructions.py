"""Lift an llvmlite function into :mod:`ir_model`.

llvmlite's binding exposes opcodes, operands and types but not icmp
predicates, poison flags, switch case values, call-site attributes or
metadata, so those are read from the module's printout through the tokenizer
of :mod:`ir_text` (names may be quoted and contain any character). A
conditional ``br`` lists its operands as ``[cond, false, true]``; the model
stores ``(true, false)``. Attributes and metadata that carry semantics are
modelled or make the function unsupported (``unknown``): never ignored.
"""
from __future__ import annotations

import re

from .ir_model import (Block, Const, Function, Inst, Param, Poison, Range, Ref,
                       Undef, mask)
from .ir_text import InstText, inner, parse_instruction, read_module, split_commas, tokenize

BINARY_OPS = frozenset("add sub mul udiv sdiv urem srem shl lshr ashr and or xor".split())
CASTS = frozenset(("zext", "sext", "trunc"))
SIMPLE_OPS = BINARY_OPS | CASTS | frozenset(
    "icmp select freeze phi br switch ret unreachable".split())
INTRINSICS = frozenset((
    "umin", "umax", "smin", "smax", "abs", "ctpop", "ctlz", "cttz", "bswap",
    "bitreverse", "fshl", "fshr", "uadd.sat", "usub.sat", "sadd.sat", "ssub.sat",
    "assume"))
FLAG_WORDS = frozenset(("nsw", "nuw", "exact", "disjoint", "nneg", "samesign"))
PREDICATES = frozenset("eq ne ugt uge ult ule sgt sge slt sle".split())
# Attributes that only fix the calling convention's extension of an integer:
# no meaning inside the IR.
ABI_ATTRS = frozenset(("zeroext", "signext", "inreg", "noext"))
# Metadata that never changes what an integer instruction computes.
HINT_METADATA = frozenset((
    "dbg", "prof", "annotation", "srcloc", "llvm.loop", "unpredictable", "make.implicit",
    "nosanitize", "pcsections", "DIAssignID"))
# Function attributes that add UB to executions of the subset.
UB_FN_ATTRS = frozenset(("noreturn",))
TYPE_WORDS = frozenset("ptr void half bfloat float double fp128 x86_fp80 ppc_fp128 label "
                       "token metadata x86_amx".split())
TAIL_MARKERS = frozenset(("tail", "musttail", "notail"))

_RANGE = re.compile(r"^range\(i(\d+)\s+(-?\d+),\s*(-?\d+)\)$")
_INT_TYPE = re.compile(r"^i(\d+)$")


def int_width(type_text: str) -> int:
    """The bit width of an integer type, 0 for any other type."""
    match = _INT_TYPE.match(type_text.strip())
    return int(match.group(1)) if match else 0


def parse_range(text: str) -> Range | None:
    """``range(iN lo, hi)`` (one attribute's text) as a Range, or None."""
    match = _RANGE.match(text.strip())
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


def _keywords(tokens) -> list[str]:
    """The lowercase words after the opcode, up to the first type or operand."""
    words = []
    for tok in tokens:
        if not tok.isalpha() or not tok.islower() or tok in TYPE_WORDS:
            break
        words.append(tok)
    return words


class _Attributes:
    """noundef and range read from a run of attribute tokens; the rest noted."""

    def __init__(self, tokens, ignore=frozenset()):
        self.noundef, self.range, self.other = False, None, []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            group = tokens[i + 1] if i + 1 < len(tokens) and tokens[i + 1][:1] == "(" else ""
            i += 2 if group else 1
            if tok == "noundef":
                self.noundef = True
            elif tok == "range" and group:
                self.range = parse_range(tok + group)
                if self.range is None:
                    self.other.append(tok + group)
            elif tok not in ABI_ATTRS and tok not in ignore:
                self.other.append(tok + group)


class _Lifter:
    def __init__(self, fn, texts):
        self.fn = fn
        self.texts = texts            # ir_text.FunctionText, None when unreadable
        self.metadata: dict[str, str] = {}
        self.attribute_groups: dict[str, str] = {}
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

    def printed(self):
        """Each instruction with its printed text, in order (module numbering)."""
        insts = [inst for block in self.fn.blocks for inst in block.instructions]
        texts = self.texts.insts if self.texts is not None else []
        if len(texts) != len(insts) or not all(
                _opcode_of(parse_instruction(t)) == i.opcode for t, i in zip(texts, insts)):
            self.note("the printed IR could not be matched to its instructions")
            texts = [str(i) for i in insts]
        return {hash(i): parse_instruction(t) for i, t in zip(insts, texts)}

    def lift(self) -> Function:
        fn = self.fn
        params = []
        for index, arg in enumerate(fn.arguments):
            name = "%" + (arg.name or str(index))
            self.names[hash(arg)] = name
            type_text = str(arg.type)
            attrs = [a.decode() if isinstance(a, bytes) else str(a) for a in arg.attributes]
            width = int_width(type_text)
            if width == 0:
                self.note(f"argument of type {type_text}")
            unmodelled = [a for a in attrs if a not in ("noundef", "returned")
                          and a not in ABI_ATTRS and parse_range(a) is None]
            for attr in unmodelled:
                self.note(f"argument attribute {attr}")
            params.append(Param(hash(arg), name, width, type_text, noundef="noundef" in attrs,
                                range=next(filter(None, map(parse_range, attrs)), None),
                                returned="returned" in attrs))
        printed = self.printed()
        for key, parsed in printed.items():  # name every result first: phis use later values
            if parsed.result:
                self.names[key] = parsed.result
        blocks = []
        for index, block in enumerate(fn.blocks):
            insts = tuple(self.instruction(inst, printed[hash(inst)]) for inst in block.instructions)
            blocks.append(Block(hash(block), "%" + (block.name or f"bb{index}"), insts))
        ret_attrs = self.definition_attributes()
        ret_type = str(fn.global_value_type).split("(")[0].strip()
        ret_width = int_width(ret_type)
        if ret_width == 0 and ret_type != "void":
            self.note(f"return type {ret_type}")
        return Function(fn.name, tuple(params), ret_width, ret_type, tuple(blocks),
                        ret_noundef=ret_attrs.noundef, ret_range=ret_attrs.range,
                        unsupported=tuple(self.unsupported), has_undef=self.has_undef)

    def definition_attributes(self) -> _Attributes:
        """Return attributes (before the name) and UB-adding function attributes."""
        if self.texts is None:
            self.note("the printed IR of the definition could not be read")
            return _Attributes([])
        tokens = tokenize(self.texts.define)
        head = []
        for tok in tokens[1:]:
            if tok.startswith("@"):
                break
            head.append(tok)
        # Linkage, visibility and calling-convention words sit here too; for an
        # integer result the verifier admits only noundef, range and ABI attributes.
        ret_attrs = _Attributes(head)
        fn_attrs = self.texts.attrs_comment.split()
        for attr in UB_FN_ATTRS.intersection(fn_attrs):
            self.note(f"function attribute {attr}")
        return ret_attrs

    def metadata_notes(self, parsed: InstText, opcode: str, modelled=frozenset()) -> None:
        for kind, _ in parsed.metadata:
            if kind not in HINT_METADATA and kind not in modelled:
                self.note(f"metadata !{kind} on {opcode}")

    def instruction(self, inst, parsed: InstText) -> Inst:
        text = parsed.text
        opcode = inst.opcode
        width = int_width(str(inst.type))
        key = hash(inst) if str(inst.type) != "void" else None
        name = self.names.get(hash(inst), "")
        operands = list(inst.operands)
        if opcode == "call":
            return self.call(inst, parsed, operands, key, name, width)
        if opcode not in SIMPLE_OPS:
            kind = "memory" if opcode in ("load", "store", "alloca", "getelementptr") else "instruction"
            self.note(f"unsupported {kind}: {opcode}")
            return Inst(opcode, key, name, width, text=text)
        self.metadata_notes(parsed, opcode)
        words = _keywords(parsed.tokens[1:])
        flags = frozenset(w for w in words if w in FLAG_WORDS)
        predicate = next((w for w in words if w in PREDICATES), None) if opcode == "icmp" else None
        for word in words:
            if word not in flags and word != predicate:
                self.note(f"unsupported keyword {word} on {opcode}")
        if str(inst.type) not in ("void",) and width == 0 and opcode not in ("br", "switch"):
            self.note(f"unsupported type {inst.type} in {opcode}")
        if opcode == "icmp" and predicate is None:
            self.note("icmp without a readable predicate")
            predicate = "eq"
        if opcode == "br":
            if len(operands) == 1:
                return Inst("br", None, "", 0, blocks=(hash(operands[0]),), text=text)
            cond, false_dest, true_dest = operands
            return Inst("br", None, "", 0, (self.operand(cond),),
                        blocks=(hash(true_dest), hash(false_dest)), text=text)
        if opcode == "switch":
            cond_width = int_width(str(operands[0].type))
            cases = self.switch_cases(parsed, cond_width, len(operands) - 2)
            return Inst("switch", None, "", 0, (self.operand(operands[0]),),
                        blocks=tuple(hash(o) for o in operands[1:]), cases=cases, text=text)
        if opcode == "phi":
            return Inst("phi", key, name, width, tuple(self.operand(o) for o in operands),
                        blocks=tuple(hash(b) for b in inst.incoming_blocks), text=text)
        if opcode == "ret" and operands:
            return Inst("ret", None, "", 0, (self.operand(operands[0]),), text=text)
        return Inst(opcode, key, name, width, tuple(self.operand(o) for o in operands),
                    flags=flags, predicate=predicate, text=text)

    def switch_cases(self, parsed: InstText, width: int, count: int) -> tuple[int, ...]:
        """Case values from ``[ iN v, label %dest ... ]`` (five tokens per case)."""
        group = parsed.tokens[-1] if parsed.tokens and parsed.tokens[-1][:1] == "[" else "[]"
        toks = inner(group)
        cases = []
        for i in range(0, len(toks), 5):
            case = toks[i:i + 5]
            if len(case) != 5 or case[2:4] != [",", "label"]:
                break
            try:
                cases.append(_int_literal(case[1], width))
            except ValueError:
                break
        if len(cases) != count or len(toks) != 5 * count:
            self.note("switch cases could not be read")
            return tuple(cases[:count]) + (0,) * max(count - len(cases), 0)
        return tuple(cases)

    def call(self, inst, parsed: InstText, operands, key, name, width) -> Inst:
        callee = operands[-1].name if operands else ""
        base = callee[5:].rsplit(".", 1)[0] if callee.startswith("llvm.") else ""
        text = parsed.text
        if base not in INTRINSICS:
            self.note(f"call to @{callee}")
            return Inst("call", key, name, width, text=text)
        site = self.call_site(parsed, len(operands) - 1)
        if site is None:
            self.note(f"call site of @{callee} could not be read")
            return Inst("call", key, name, width, text=text)
        ret_attrs, arg_attrs, md_range = site
        for attr in ret_attrs.other + [a for args in arg_attrs for a in args.other]:
            self.note(f"call-site attribute {attr}")
        return Inst(base, key, name, width, tuple(self.operand(o) for o in operands[:-1]),
                    ret_noundef=ret_attrs.noundef, ret_range=ret_attrs.range, md_range=md_range,
                    arg_noundef=tuple(a.noundef for a in arg_attrs),
                    arg_ranges=tuple(a.range for a in arg_attrs), text=text)

    def call_site(self, parsed: InstText, nargs: int):
        """(return attributes, per-argument attributes, !range) of an intrinsic call."""
        toks = list(parsed.tokens)
        while toks and toks[0] in TAIL_MARKERS:
            toks.pop(0)
        at = next((i for i in range(1, len(toks) - 1)
                   if toks[i].startswith("@") and toks[i + 1][:1] == "("), None)
        if not toks or toks[0] != "call" or at is None:
            return None
        head = toks[1:at]
        if head and (int_width(head[-1]) or head[-1] == "void"):
            head = head[:-1]           # the return type
        ret_attrs = _Attributes(head)
        arg_attrs = []
        segments = split_commas(inner(toks[at + 1]))
        if segments == [[]]:
            segments = []
        if len(segments) != nargs:
            return None
        for seg in segments:
            arg_attrs.append(_Attributes(seg[1:-1]))
        for tok in toks[at + 2:]:      # function attributes, operand bundles
            if tok.startswith("["):
                self.note("operand bundle on a call")
            words = self.attribute_groups.get(tok, tok).split()
            for attr in UB_FN_ATTRS.intersection(words):
                self.note(f"call-site attribute {attr}")
        self.metadata_notes(parsed, "call", modelled={"range"})
        md_range = ()
        for kind, node in parsed.metadata:
            if kind == "range":
                md_range += self.range_metadata(node)
        return ret_attrs, arg_attrs, md_range

    def range_metadata(self, node: str) -> tuple[Range, ...]:
        """``!{iN lo, iN hi, ...}``: the union of [lo, hi) pairs."""
        body = self.metadata.get(node)
        pairs = [seg for seg in split_commas(tokenize(body or ""))]
        if body is None or len(pairs) % 2 or not all(
                len(seg) == 2 and int_width(seg[0]) for seg in pairs):
            self.note(f"!range {node} could not be read")
            return ()
        ranges = []
        for lo, hi in zip(pairs[::2], pairs[1::2]):
            width = int_width(lo[0])
            ranges.append(Range(_int_literal(lo[1], width), _int_literal(hi[1], width)))
        return tuple(ranges)


def _opcode_of(parsed: InstText) -> str:
    toks = [t for t in parsed.tokens[:2] if t not in TAIL_MARKERS]
    return toks[0] if toks else ""


def lift_function(module, name: str) -> Function:
    """The model of ``@name`` from a parsed llvmlite module."""
    module_text = read_module(str(module))
    functions = list(module.functions)
    index = next(i for i, f in enumerate(functions) if f.name == name)
    texts = module_text.functions[index] if len(module_text.functions) == len(functions) else None
    lifter = _Lifter(functions[index], texts)
    lifter.metadata = module_text.metadata
    lifter.attribute_groups = module_text.attribute_groups
    return lifter.lift()
