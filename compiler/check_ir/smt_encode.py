"""Encode one function as bit-vector formulas: return value, poison, UB.

The CFG is unrolled into a DAG of nodes ``(block, back-edge counts)``; a back
edge taken more than ``unroll`` times leads nowhere and its path condition is
collected in ``cut`` (the bound cut that path). Nodes are visited in an order
that respects every edge (counts first, then reverse postorder), each node's
environment is the merge of its predecessors' (an ``If`` over the mutually
exclusive edge conditions), and UB is the disjunction of ``reach ∧ local UB``.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import z3

from . import smt_semantics as sem
from .cfg import analyse_loops
from .instructions import BINARY_OPS, CASTS
from .ir_model import Const, Function, Poison, Ref, Undef, undef_key

MAX_NODES = 20000
UNDEF_TWIN = "undef-twin"


class EncodingTooLarge(Exception):
    """The unrolled graph exceeds MAX_NODES (reported as ``unknown``)."""


@dataclass
class Encoding:
    value: object               # z3 bit-vector, None for void
    poison: object
    ub: object
    cut: object                 # some execution ran past the unroll bound
    has_loops: bool
    # Nondeterministic choices, (key, z3 var): ((instruction key, counts), var)
    # for a freeze of poison; (undef_key(site, counts), var) for each use of
    # undef; ((UNDEF_TWIN, n), var) for the copies that ask whether a value
    # depends on undef. The reference's are quantified, the candidate's free.
    choices: list = field(default_factory=list)


def make_inputs(fn: Function, tag: str = "in"):
    """Shared symbolic inputs: one value and one poison flag per parameter."""
    values = [z3.BitVec(f"{tag}{i}", p.width) for i, p in enumerate(fn.params)]
    poisons = [z3.Bool(f"{tag}{i}_poison") for i, p in enumerate(fn.params)]
    return values, poisons


def _chain(pairs, default):
    """If(c1, v1, If(c2, v2, ... default)) over mutually exclusive conditions."""
    out = default
    for cond, value in reversed(pairs):
        out = z3.If(cond, value, out)
    return out


def _or(terms):
    terms = [t for t in terms if not z3.is_false(t)]
    if not terms:
        return sem.FALSE
    return terms[0] if len(terms) == 1 else z3.Or(*terms)


class _Encoder:
    def __init__(self, fn: Function, unroll: int, tag: str):
        self.fn, self.unroll, self.tag = fn, unroll, tag
        self.loops = analyse_loops(fn)
        self.ub_terms, self.cut_terms, self.rets, self.choices = [], [], [], []
        self.fresh_count = 0
        self.undefs = {}    # undef_key -> z3 var: one fresh value per use of undef
        self.frozen = {}    # id -> freeze result term: one fixed value, undef or not

    def fresh(self, width, label):
        self.fresh_count += 1
        return z3.BitVec(f"{self.tag}!{label}!{self.fresh_count}", width)

    def operand(self, env, op, site=None, counts=()):
        if isinstance(op, Const):
            return z3.BitVecVal(op.value, op.width), sem.FALSE
        if isinstance(op, Poison):
            return z3.BitVecVal(0, op.width), z3.BoolVal(True)
        if isinstance(op, Undef):
            # Each use is a fresh value. A phi reached twice from one
            # predecessor (two switch cases) reuses it: only one edge is taken.
            key = undef_key(site, counts)
            if key not in self.undefs:
                self.undefs[key] = var = self.fresh(op.width, "undef")
                self.choices.append((key, var))
            return self.undefs[key], sem.FALSE
        assert isinstance(op, Ref)
        return env[op.key]

    def operands(self, env, inst, site, counts):
        return [self.operand(env, a, site + (i,), counts) for i, a in enumerate(inst.args)]

    def undef_dependent(self, value):
        """True where ``value`` may differ under another choice of the undef uses it
        reads (Alive2's test): branching on it, or passing it where ``noundef`` is
        required, is UB. The copies of the undef variables become choices too:
        universal in the reference (no choice may show a difference), existential
        in the candidate."""
        if not self.undefs or value is None:
            return sem.FALSE
        wanted = {v.get_id(): v for v in self.undefs.values()}
        found, frozen, seen, stack = {}, {}, set(), [value]
        while stack:
            e = stack.pop()
            if e.get_id() in seen:
                continue
            seen.add(e.get_id())
            if e.get_id() in wanted:
                found[e.get_id()] = e
            elif e.get_id() in self.frozen:
                frozen[e.get_id()] = e  # a frozen value is fixed: do not look inside
            else:
                stack.extend(e.children())
        if not found:
            return sem.FALSE
        # z3 substitutes top-down, so mapping a frozen term to itself keeps the
        # undef uses inside it from being renamed.
        pairs = [(f, f) for f in frozen.values()]
        for var in found.values():
            twin = self.fresh(var.size(), "undef-twin")
            self.choices.append(((UNDEF_TWIN, self.fresh_count), twin))
            pairs.append((var, twin))
        return value != z3.substitute(value, *pairs)

    def run(self, values, poisons) -> Encoding:
        fn = self.fn
        entry_env, entry_ub = {}, []
        for param, value, poison in zip(fn.params, values, poisons):
            if param.range is not None:
                poison = z3.Or(poison, z3.Not(sem.in_range(value, param.range, param.width)))
            if param.noundef:
                entry_ub.append(poison)
            entry_env[param.key] = (value, poison)
        self.ub_terms.extend(entry_ub)
        self.entry_env = dict(entry_env)
        nb = len(self.loops.back_edges)
        start = (fn.blocks[0].key, (0,) * nb)
        pending = {start: [(None, z3.BoolVal(True), entry_env)]}
        heap = [(0, 0, start[1], start[0])]
        visited = 0
        while heap:
            _, _, counts, block_key = heapq.heappop(heap)
            node = (block_key, counts)
            incoming = pending.pop(node)
            visited += 1
            if visited > MAX_NODES:
                raise EncodingTooLarge(f"more than {MAX_NODES} unrolled blocks")
            for succ, succ_counts, cond, env in self.block(node, incoming):
                succ_node = (succ, succ_counts)
                if succ_node not in pending:
                    pending[succ_node] = []
                    heapq.heappush(heap, (sum(succ_counts), self.loops.rpo_index[succ],
                                          succ_counts, succ))
                pending[succ_node].append((block_key, cond, env))
        if self.rets:
            ret_conds = [c for c, _, _ in self.rets]
            value = None if self.rets[0][1] is None else _chain(
                [(c, v) for c, v, _ in self.rets[1:]], self.rets[0][1])
            poison = _chain([(c, p) for c, _, p in self.rets[1:]], self.rets[0][2])
            del ret_conds
        else:  # no return is reachable: every execution is UB or cut
            value = z3.BitVecVal(0, fn.ret_width) if fn.ret_width else None
            poison = sem.FALSE
        return Encoding(value, poison, _or(self.ub_terms), _or(self.cut_terms),
                        self.loops.has_loops, self.choices)

    def merge(self, incoming):
        if len(incoming) == 1:
            return dict(incoming[0][2])
        envs = [env for _, _, env in incoming]
        conds = [cond for _, cond, _ in incoming]
        merged = {}
        for key in set(envs[0]).intersection(*envs[1:]):
            first = envs[0][key]
            if all(env[key][0].eq(first[0]) and env[key][1].eq(first[1]) for env in envs[1:]):
                merged[key] = first
                continue
            merged[key] = (_chain([(c, e[key][0]) for c, e in zip(conds[1:], envs[1:])], first[0]),
                           _chain([(c, e[key][1]) for c, e in zip(conds[1:], envs[1:])], first[1]))
        return merged

    def block(self, node, incoming):
        block_key, counts = node
        reach = _or([cond for _, cond, _ in incoming])
        env = self.merge(incoming)
        phis = {}
        for position, inst in enumerate(self.fn.block(block_key).insts):
            site = (block_key, position)
            if inst.opcode == "phi":
                pairs = []
                for pred, cond, pred_env in incoming:
                    index = inst.blocks.index(pred)
                    pairs.append((cond, self.operand(pred_env, inst.args[index],
                                                     site + (index,), counts)))
                phis[inst.key] = (
                    _chain([(c, v[0]) for c, v in pairs[1:]], pairs[0][1][0]),
                    _chain([(c, v[1]) for c, v in pairs[1:]], pairs[0][1][1]))
                continue
            env.update(phis)
            phis = {}
            if inst.opcode in ("br", "switch", "ret", "unreachable"):
                return self.terminator(inst, env, reach, counts, block_key, site)
            value, poison, ub = self.instruction(inst, env, counts, site)
            if not z3.is_false(ub):
                self.ub_terms.append(z3.And(reach, ub))
            if inst.key is not None:
                env[inst.key] = (value, poison)
        return []

    def instruction(self, inst, env, counts, site):
        args, arg_ub = _call_arguments(inst, self.operands(env, inst, site, counts),
                                       self.undef_dependent)
        op = inst.opcode
        if op in BINARY_OPS:
            value, poison, ub = sem.binary(inst, args[0][0], args[0][1], args[1][0], args[1][1])
        elif op == "icmp":
            value, poison, ub = sem.icmp(inst, args[0][0], args[0][1], args[1][0], args[1][1])
        elif op in CASTS:
            value, poison, ub = sem.cast(inst, *args[0])
        elif op == "select":
            (c, pc), (a, pa), (b, pb) = args
            chosen = c == z3.BitVecVal(1, 1)
            value, poison, ub = z3.If(chosen, a, b), z3.Or(pc, z3.If(chosen, pa, pb)), sem.FALSE
        elif op == "freeze":
            (a, pa), = args
            var = self.fresh(inst.width, "freeze")
            self.choices.append(((inst.key, counts), var))
            value, poison, ub = z3.If(pa, var, a), sem.FALSE, sem.FALSE
            self.frozen[value.get_id()] = value  # unique: ``var`` is fresh
        else:
            value, poison, ub = sem.intrinsic(inst, args)
        if inst.ret_range is not None and value is not None:
            poison = z3.Or(poison, z3.Not(sem.in_range(value, inst.ret_range, inst.width)))
        if inst.md_range and value is not None:
            poison = z3.Or(poison, z3.Not(_or([sem.in_range(value, r, inst.width)
                                               for r in inst.md_range])))
        if inst.ret_noundef:
            ub = z3.Or(ub, poison, self.undef_dependent(value))
        if arg_ub:
            ub = _or([ub, *arg_ub])
        return value, poison, ub

    def terminator(self, inst, env, reach, counts, block_key, site):
        if inst.opcode == "unreachable":
            self.ub_terms.append(reach)
            return []
        if inst.opcode == "ret":
            if inst.args:
                value, poison = self.operand(env, inst.args[0], site + (0,), counts)
                if self.fn.ret_range is not None:
                    poison = z3.Or(poison, z3.Not(sem.in_range(value, self.fn.ret_range,
                                                               self.fn.ret_width)))
                if self.fn.ret_noundef:
                    self.ub_terms.append(z3.And(reach, z3.Or(poison, self.undef_dependent(value))))
                for param in self.fn.params:
                    if param.returned:  # returning anything but that argument is UB
                        p_value, p_poison = self.entry_env[param.key]
                        self.ub_terms.append(z3.And(reach, z3.Or(
                            poison != p_poison, z3.And(z3.Not(poison), value != p_value))))
            else:
                value, poison = None, sem.FALSE
            self.rets.append((reach, value, poison))
            return []
        if inst.opcode == "br" and not inst.args:
            edges = [(inst.blocks[0], reach)]
        else:
            cond, cond_poison = self.operand(env, inst.args[0], site + (0,), counts)
            # branching on poison or on undef is UB
            self.ub_terms.append(z3.And(reach, z3.Or(cond_poison, self.undef_dependent(cond))))
            if inst.opcode == "br":
                is_true = cond == z3.BitVecVal(1, 1)
                edges = [(inst.blocks[0], z3.And(reach, is_true)),
                         (inst.blocks[1], z3.And(reach, z3.Not(is_true)))]
            else:
                width = cond.size()
                matches = [cond == z3.BitVecVal(v, width) for v in inst.cases]
                edges = [(inst.blocks[0], z3.And(reach, z3.Not(_or(matches))))]
                edges += [(dest, z3.And(reach, m)) for dest, m in zip(inst.blocks[1:], matches)]
        out = []
        for succ, cond in edges:
            index = self.loops.edge_index(block_key, succ)
            succ_counts = counts
            if index is not None:
                succ_counts = counts[:index] + (counts[index] + 1,) + counts[index + 1:]
                if succ_counts[index] > self.unroll:
                    self.cut_terms.append(cond)
                    continue
            out.append((succ, succ_counts, cond, env))
        return out


def _call_arguments(inst, args, undef_dependent):
    """Apply call-site ``range`` (out of range: poison) and ``noundef`` (poison or
    undef: UB) argument attributes; the arguments and the UB terms."""
    out, ub = [], []
    for i, (value, poison) in enumerate(args):
        rng = inst.arg_ranges[i] if i < len(inst.arg_ranges) else None
        if rng is not None:
            poison = z3.Or(poison, z3.Not(sem.in_range(value, rng, value.size())))
        if i < len(inst.arg_noundef) and inst.arg_noundef[i]:
            ub.append(z3.Or(poison, undef_dependent(value)))
        out.append((value, poison))
    return out, ub


def encode_function(fn: Function, values, poisons, unroll: int, tag: str) -> Encoding:
    """The formulas of ``fn`` applied to the symbolic inputs ``values``/``poisons``."""
    return _Encoder(fn, unroll, tag).run(values, poisons)
