"""Which recursive strata the native fixpoint kernel can run, and the kernel they map to.

``plan_stratum`` translates the ``loop`` rules of a stratum into a
:class:`~nsl.compiler.jit.fixpoint_ir.Kernel`, or returns None when some rule is
outside the supported shape (the torch loop then runs the stratum):

* the first operator joins the **delta** of a stratum relation (a scan);
* further joins read relations of lower strata (indexed once, probed by the
  kernel) or test membership in a stratum relation with every argument bound
  (so non-linear recursion falls back); antijoins read lower strata;
* filters compare two variables or literals (order comparisons on int/bool
  only: string ids are not in lexicographic order); maps only rename a
  variable or bind a literal; the rule ends with one insert of variables or
  literals into a stratum relation;
* every column is int64-backed (int, str, bool).

Nothing here looks at data; ``native_fixpoint`` checks tags and value ranges.
"""
from __future__ import annotations

from dataclasses import dataclass

from nsl.compiler import ir
from nsl.compiler.jit.fixpoint_spec import Cmp, Emit, Kernel, Member, Probe, Scan

from .expr import literal_value

INT_TYPES = ("int", "str", "bool")
ORDERED_TYPES = ("int", "bool")


class Unsupported(Exception):
    """The stratum is outside what the kernel runs (internal to this module)."""


@dataclass(frozen=True)
class IndexSpec:
    """A lower-stratum relation indexed on ``key_pos`` (rows with ``eqs`` positions equal),
    carrying the columns ``payload`` in key order."""
    rel: str
    key_pos: tuple
    eqs: tuple
    payload: tuple


@dataclass
class NativePlan:
    kernel: Kernel
    rels: tuple           # stratum relation names, in kernel order
    indexes: tuple        # IndexSpec per kernel index
    lits: tuple           # literal values (column representation)
    sources: tuple        # per rule: {var id: ("rel", r, col) | ("idx", x, payload col)}
    reads: tuple          # every relation the loop rules read


class _Builder:
    def __init__(self, stratum, types, interner):
        self.rels = tuple(stratum.relations)
        self.rel_id = {r: i for i, r in enumerate(self.rels)}
        self.types, self.interner = types, interner
        self.indexes: dict = {}
        self.lits: dict = {}
        self.reads: set = set()

    def lit(self, arg: ir.Lit):
        if arg.type not in INT_TYPES:
            raise Unsupported("literal type")
        value = literal_value(arg, self.interner)
        if not -(1 << 62) < value < (1 << 62):
            raise Unsupported("literal out of range")
        return ("lit", self.lits.setdefault(value, len(self.lits)))

    def index(self, spec: IndexSpec) -> int:
        return self.indexes.setdefault(spec, len(self.indexes))

    def rule(self, r: ir.Rule):
        ops, env, sources = [], {}, {}
        body = list(r.ops)
        if not body or not isinstance(body[-1], ir.Insert):
            raise Unsupported("rule does not end with an insert")
        first = body[0]
        if not (isinstance(first, ir.Join) and first.version == "delta" and first.rel in self.rel_id):
            raise Unsupported("first operator is not a delta scan")

        def operand(e):
            if isinstance(e, ir.Lit):
                return self.lit(e)
            if isinstance(e, ir.ColRef) and e.name in env:
                return env[e.name]
            raise Unsupported(f"expression {e!r}")

        def new_var(name, source):
            env[name] = ("var", len(sources))
            sources[len(sources)] = source

        for n, op in enumerate(body):
            if isinstance(op, ir.Join) and n == 0:
                self._check_types(op.rel)
                rid, binds, checks = self.rel_id[op.rel], [], []
                for pos, arg in enumerate(op.args):
                    if isinstance(arg, ir.Lit):
                        checks.append((pos, self.lit(arg)))
                    elif isinstance(arg, ir.ColRef):
                        if arg.name in env:
                            checks.append((pos, env[arg.name]))
                        else:
                            new_var(arg.name, ("rel", rid, pos))
                            binds.append((pos, env[arg.name][1]))
                self.reads.add(op.rel)
                ops.append(Scan(rid, tuple(binds), tuple(checks)))
            elif isinstance(op, ir.Join) and op.rel in self.rel_id:
                if op.version != "full" or not all(
                        isinstance(a, ir.Lit) or (isinstance(a, ir.ColRef) and a.name in env)
                        for a in op.args):
                    raise Unsupported("join on a stratum relation that is not a membership test")
                self.reads.add(op.rel)
                ops.append(Member(self.rel_id[op.rel], tuple(operand(a) for a in op.args)))
            elif isinstance(op, (ir.Join, ir.AntiJoin)):
                anti = isinstance(op, ir.AntiJoin)
                if not anti and op.version != "full":
                    raise Unsupported("delta of a relation outside the stratum")
                self._check_types(op.rel)
                keys, key_pos, first_pos, eqs, payload, new = [], [], {}, [], [], []
                for pos, arg in enumerate(op.args):
                    if isinstance(arg, ir.Lit) or (isinstance(arg, ir.ColRef) and arg.name in env):
                        keys.append(operand(arg))
                        key_pos.append(pos)
                    elif isinstance(arg, ir.ColRef):
                        if anti:
                            raise Unsupported("unbound antijoin variable")
                        if arg.name in first_pos:
                            eqs.append((first_pos[arg.name], pos))
                        else:
                            first_pos[arg.name] = pos
                            payload.append(pos)
                            new.append(arg.name)
                x = self.index(IndexSpec(op.rel, tuple(key_pos), tuple(eqs), tuple(payload)))
                binds = []
                for c, name in enumerate(new):
                    new_var(name, ("idx", x, c))
                    binds.append((c, env[name][1]))
                self.reads.add(op.rel)
                ops.append(Probe(x, tuple(keys), tuple(binds), anti))
            elif isinstance(op, ir.Filter):
                c = op.cond
                if not (isinstance(c, ir.BinExpr) and c.op in ("eq", "ne", "lt", "le", "gt", "ge")):
                    raise Unsupported("filter")
                ordered = c.op in ("eq", "ne") or (
                    c.left.type in ORDERED_TYPES and c.right.type in ORDERED_TYPES)
                if not ordered or c.left.type not in INT_TYPES:
                    raise Unsupported("comparison type")
                ops.append(Cmp(c.op, operand(c.left), operand(c.right)))
            elif isinstance(op, ir.Map):
                if op.expr.type not in INT_TYPES:
                    raise Unsupported("map type")
                env[op.var] = operand(op.expr)  # a rename or a literal: no code
            elif isinstance(op, ir.Insert) and n == len(body) - 1:
                if op.rel not in self.rel_id:
                    raise Unsupported("insert outside the stratum")
                if any(e.type not in INT_TYPES for e in op.exprs):
                    raise Unsupported("insert type")
                ops.append(Emit(self.rel_id[op.rel], tuple(operand(e) for e in op.exprs)))
            else:
                raise Unsupported(type(op).__name__)
        return tuple(ops), sources

    def _check_types(self, rel):
        if any(t not in INT_TYPES for t in self.types[rel]):
            raise Unsupported("column type")


def plan_stratum(stratum: ir.Stratum, types: dict, interner) -> NativePlan | None:
    """The kernel plan of a recursive stratum, or None when it is not supported.
    ``types`` maps every relation to its column types."""
    if not stratum.loop:
        return None
    b = _Builder(stratum, types, interner)
    try:
        for r in b.rels:
            b._check_types(r)
        rules = [b.rule(r) for r in stratum.loop]
    except Unsupported:
        return None
    indexes = tuple(sorted(b.indexes, key=b.indexes.get))
    kernel = Kernel(rels=tuple(len(types[r]) for r in b.rels),
                    indexes=tuple((len(s.key_pos), len(s.payload)) for s in indexes),
                    rules=tuple(ops for ops, _ in rules), nlits=len(b.lits))
    return NativePlan(kernel, b.rels, indexes, tuple(sorted(b.lits, key=b.lits.get)),
                      tuple(src for _, src in rules), tuple(sorted(b.reads)))
