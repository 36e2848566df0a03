"""The small, frozen model of an LLVM function that the checkers work on.

llvmlite's binding hands out live ``ValueRef``s that hide predicates, flags and
case values; :mod:`instructions` lifts them once into these dataclasses so the
SMT encoder, the concrete interpreter and the JIT driver never touch llvmlite.
Values are named by their LLVM identity (``key``) and printed by their IR name.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Const:
    """An integer constant, stored unsigned (masked to its width)."""
    width: int
    value: int


@dataclass(frozen=True)
class Poison:
    width: int


@dataclass(frozen=True)
class Undef:
    width: int


@dataclass(frozen=True)
class Ref:
    """A use of an argument or of an instruction's result."""
    key: int
    width: int
    name: str


Operand = Const | Poison | Undef | Ref


@dataclass(frozen=True)
class Range:
    """LLVM's ``range(iN lo, hi)``: a half-open, possibly wrapping interval."""
    lo: int
    hi: int


@dataclass(frozen=True)
class Param:
    key: int
    name: str
    width: int          # 0 when the type is not an integer (see ``type_text``)
    type_text: str
    noundef: bool = False
    range: Range | None = None
    returned: bool = False  # every ``ret`` must return this argument, or UB


@dataclass(frozen=True)
class Inst:
    """One instruction; ``opcode`` is the LLVM opcode or, for intrinsic calls,
    the intrinsic's base name (``umin``, ``abs``, ``fshl`` ...)."""
    opcode: str
    key: int | None               # identity of the result, None for void
    name: str
    width: int                    # result width, 0 for void or non-integer
    args: tuple[Operand, ...] = ()
    flags: frozenset[str] = frozenset()
    predicate: str | None = None
    # br: (true, false) or (dest,); switch: (default, case dests...); phi: incoming
    blocks: tuple[int, ...] = ()
    cases: tuple[int, ...] = ()   # switch case values, unsigned
    ret_noundef: bool = False     # call-site return attributes
    ret_range: Range | None = None
    md_range: tuple[Range, ...] = ()  # ``!range``: the result lies in one of these, else poison
    # call-site argument attributes, one entry per argument (empty: none)
    arg_noundef: tuple[bool, ...] = ()
    arg_ranges: tuple[Range | None, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class Block:
    key: int
    name: str
    insts: tuple[Inst, ...]

    @property
    def terminator(self) -> Inst:
        return self.insts[-1]


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[Param, ...]
    ret_width: int                # 0 for void
    ret_type_text: str
    blocks: tuple[Block, ...]
    ret_noundef: bool = False
    ret_range: Range | None = None
    # Why the function is outside the SMT subset ("" when inside it).
    unsupported: tuple[str, ...] = field(default=())
    has_undef: bool = False

    @property
    def in_subset(self) -> bool:
        return not self.unsupported

    def block(self, key: int) -> Block:
        for b in self.blocks:
            if b.key == key:
                return b
        raise KeyError(key)


def mask(width: int) -> int:
    return (1 << width) - 1


def to_signed(value: int, width: int) -> int:
    value &= mask(width)
    return value - (1 << width) if value >> (width - 1) else value


UNDEF = "undef"


def undef_key(site, counts) -> tuple:
    """The choice key of one use of ``undef``: ``site`` is (block key, index of the
    instruction in its block, operand index), ``counts`` the back-edge counts of
    the visit. The SMT encoder names its variables and the interpreter reads its
    choices by these keys."""
    return (UNDEF, site, tuple(counts))
