"""Executes an IR ``Module``: facts and inputs in, strata to fixpoint, a ``Database`` out.

A rule is a pipeline of operators over a binding :class:`Table` that starts as
the unit table. A stratum runs its ``init`` rules once (their inserts land
immediately), then its ``loop`` rules semi-naively: every iteration reads the
full relations as they were at its start plus the deltas of the previous
iteration, buffers its inserts, and only then adds them — the delta of a
relation is what was new (or re-tagged) — until every delta is empty.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from nsl.compiler import ir
from nsl.compiler.ir_vars import op_binds, op_reads

from .aggregate import aggregate
from .database import Database
from .errors import DerivedValueError, NoFixpointError, NotAvailable, NslRuntimeError
from .expr import compile_expr, to_column
from .interner import Interner
from .native_fixpoint import run_native
from .join import AtomSpec, antijoin, concat_tables, index_of, join
from .keys import positions
from .knn_op import knn
from .provenance import make_provenance
from .provenance.base import cat_tags, gather_tags, mul_tags
from .relation import StoredRelation
from .table import Table, take_tags


@dataclass(frozen=True)
class StratumProgress:
    """What ``execute``'s ``progress`` callback is told: stratum ``index`` of ``strata``
    (0-based), after ``iteration`` semi-naive iterations (0: its non-recursive rules);
    ``done`` once, when the stratum is complete. ``facts`` (the rows in its relations)
    is counted when read: a relation may hold one run per iteration until it is next
    read whole, so counting at every iteration would cost as much as the iteration.
    (``_counts``: the rows per relation, when the native kernel already counted them.)"""

    index: int
    strata: int
    relations: tuple
    iteration: int
    done: bool
    _store: dict = field(repr=False, compare=False)
    _counts: dict | None = field(default=None, repr=False, compare=False)

    @property
    def facts(self) -> int:
        if self._counts is not None:
            return sum(self._counts[r] for r in self.relations)
        return sum(len(self._store[r]) for r in self.relations)


def execute(module: ir.Module, inputs=None, provenance=None, indexes=None,
            max_iterations: int | None = None, progress=None) -> Database:
    """Run ``module``; ``inputs`` maps input relations to rows or columns (see ``load_inputs``);
    ``provenance`` is a Provenance instance, or None for ``module.provenance``; ``indexes``
    maps index names to loaded ``VectorIndex``es (``knn_op.load_index``). A recursive
    stratum may run at most ``max_iterations`` semi-naive iterations that derive new facts
    (None: no limit); one more raises ``NoFixpointError``. ``progress``, if given, is
    called with a :class:`StratumProgress` after each stratum's first rules, after each
    iteration and when the stratum is done (the native kernel reports after a chunk of
    iterations, about every ``native_fixpoint.PROGRESS_SECONDS``, not after each)."""
    prov = provenance if provenance is not None else make_provenance(module.provenance)
    ex = Executor(module, prov, indexes, max_iterations)
    ex.load(inputs or {})
    for index, stratum in enumerate(module.strata):
        if progress is not None:
            ex.report = _reporter(progress, index, len(module.strata), stratum, ex.store)
        ex.run_stratum(stratum)
    return Database(ex.store, ex.interner, prov, module)


def _reporter(progress, index, strata, stratum, store):
    def report(iteration: int, done: bool = False, counts=None):
        progress(StratumProgress(index, strata, stratum.relations, iteration, done, store,
                                 counts))
    return report


def _silent(iteration: int, done: bool = False, counts=None):
    """The progress callback when nobody asked for progress."""


def _unsupported(ops, indexes=None):
    for op in ops:
        if isinstance(op, ir.Neural):
            yield op, f"neural module '{op.module}' cannot run: neural predicates are not " \
                      "available in this runtime yet"
        elif isinstance(op, ir.Knn) and op.index not in (indexes or {}):
            yield op, f"index '{op.index}' is not loaded (Program.run loads indexes from " \
                      "their `from` files; execute() takes them as indexes=)"
        elif isinstance(op, ir.Aggregate):
            for alt in op.body:
                yield from _unsupported(alt, indexes)


def _uses(op) -> set:
    """Variables of the binding table an operator reads (a join's arguments included)."""
    return op_reads(op) | (op_binds(op) if isinstance(op, (ir.Join, ir.AntiJoin)) else set())


def live_after(ops, needed_at_end=frozenset()) -> list:
    """``live[i]``: the variables some operator after ``ops[i]`` (or the caller) still reads;
    joins gather only these columns (projection pushdown)."""
    live, acc = [], set(needed_at_end)
    for op in reversed(ops):
        live.append(frozenset(acc))
        acc |= _uses(op)
    return live[::-1]


class Executor:
    def __init__(self, module: ir.Module, prov, indexes=None, max_iterations=None):
        self.module, self.prov = module, prov
        self.max_iterations = max_iterations
        self.report = _silent  # execute's progress callback
        self.indexes: dict = dict(indexes or {})  # index name -> loaded VectorIndex (knn_op)
        self.interner = Interner()
        self.store = {r.name: StoredRelation(r.name, r.types, prov) for r in module.relations}
        self.deltas: dict = {}
        self.native_iterations, self.native_resume = 0, False  # set by run_native
        self.iterations = 0  # semi-naive iterations run by the torch loop (bench/fixpoint_overhead)
        self._specs: dict = {}
        self._plans: dict = {}   # (id(ops), needed_at_end) -> [(step, op, live columns after it)]
        self._steps = {ir.Join: self._join, ir.AntiJoin: self._antijoin, ir.Filter: self._filter,
                       ir.Map: self._map, ir.Insert: self._insert, ir.Aggregate: self._aggregate,
                       ir.Weight: self._weight, ir.Knn: self._knn, ir.Check: self._check}
        for stratum in module.strata:
            for rule in stratum.init + stratum.loop:
                for op, message in _unsupported(rule.ops, self.indexes):
                    raise NotAvailable(message, op.origin or rule.origin)

    # ---- input ------------------------------------------------------------------------
    def load(self, inputs: dict):
        from .loading import columns_of, fact_columns
        for facts in self.module.facts:
            rel = self._rel(facts.rel)
            cols, tags, n = fact_columns(facts.rows, rel.types, self.interner, self.prov)
            rel.add(cols, tags, n)
        for name, data in inputs.items():
            rel = self._rel(name)
            cols, n = columns_of(data, rel.types, self.interner, name)
            rel.add(cols, None, n)
        for r in self.module.relations:
            if r.kind == "input" and r.name not in inputs and r.source:
                from .io import load_facts
                cols, n = columns_of(load_facts(r.source, r.types), r.types, self.interner, r.name)
                self.store[r.name].add(cols, None, n)

    def _rel(self, name) -> StoredRelation:
        if name not in self.store:
            raise NslRuntimeError(f"unknown relation '{name}'")
        return self.store[name]

    # ---- strata -----------------------------------------------------------------------
    def run_stratum(self, stratum: ir.Stratum):
        def insert_now(rel, cols, tags, n):
            self._rel(rel).add(cols, tags, n)

        for rule in stratum.init:
            self.run_ops(rule.ops, Table.unit(), insert_now)
        iteration = 0
        self.report(0)
        if stratum.loop and run_native(self, stratum):
            iteration = self.native_iterations
            if self.native_resume:  # the kernel stopped at the limit: our next iteration decides
                iteration = self._loop(stratum, resume=iteration)
        elif stratum.loop:
            iteration = self._loop(stratum)
        for r in stratum.relations:
            self.deltas.pop(r, None)
            self.store[r].consolidated()
        self.report(iteration, done=True)

    def wants_progress(self) -> bool:
        """Whether ``execute`` was given a progress callback."""
        return self.report is not _silent

    def _loop(self, stratum: ir.Stratum, resume: int = 0) -> int:
        """Run the ``loop`` rules semi-naively to their fixpoint; return the iterations run.
        ``resume``: the iterations already run (by the native kernel), whose last deltas
        are in ``self.deltas``.

        Everything that does not change between iterations — each rule's plan, the deltas it
        scans, the insert buffer — is set up once here, so an iteration costs the rules'
        operators and the adds, and little Python around them."""
        deltas, store = self.deltas, self.store
        if not resume:
            for r in stratum.relations:
                deltas[r] = store[r].consolidated()
        rules = [(rule, tuple(self._delta_reads_of(rule)), self._plan(rule.ops, frozenset()))
                 for rule in stratum.loop]
        ours = [(r, store[r]) for r in stratum.relations]
        pending: dict = {}
        derived_by: dict = {}  # relation -> the first rule that derived rows for it
        current = [None]  # the rule running now

        def buffer(rel, cols, tags, n):
            parts = pending.get(rel)
            if parts is None:
                pending[rel] = [(cols, tags, n)]
            else:
                parts.append((cols, tags, n))
            if n and rel not in derived_by:
                derived_by[rel] = current[0]

        iteration, limit = resume, self.max_iterations
        report = None if self.report is _silent else self.report
        while True:
            self.iterations += 1
            iteration += 1
            derived_by.clear()
            for rule, reads, plan in rules:
                for rel in reads:  # a delta it scans is empty: it derives nothing new
                    d = deltas.get(rel)
                    if d is None or not d.n:
                        break
                else:
                    current[0] = rule
                    table = Table({}, None, 1)
                    for step in plan:
                        table = step(table, buffer)
                        if not table.n:
                            break  # nothing left to insert
            changed = False
            for r, rel in ours:
                parts = pending.pop(r, None)
                if parts is None:
                    d = rel.empty_run()
                elif len(parts) == 1:
                    d = rel.add(*parts[0])
                else:
                    d = self._add_batches(r, parts)
                deltas[r] = d
                if d.n:
                    changed = True
            if pending:
                for r, parts in pending.items():  # inserts outside the stratum, if any
                    self._add_batches(r, parts)
                pending.clear()
            if not changed:
                return iteration
            if report is not None:
                report(iteration)  # every iteration so far derived something
            if limit is not None and iteration > limit:
                raise self._no_fixpoint(stratum, derived_by)

    def _no_fixpoint(self, stratum: ir.Stratum, derived_by: dict) -> NoFixpointError:
        """The limit error, at the first rule that derived rows, in the iteration just run,
        for a relation that grew; with the relation's smallest new fact as the example (the
        same whatever order the rows were derived in: the native kernel's or ours)."""
        grew = [r for r in stratum.relations if self.deltas[r].n]
        rel = next((r for r in grew if r in derived_by), grew[0])
        origin = derived_by[rel].origin if rel in derived_by else stratum.loop[0].origin
        delta = self.deltas[rel]
        row = _smallest(delta.cols)
        values = ", ".join(self._shown(col[row], ty) for col, ty in zip(delta.cols, self.store[rel].types))
        return NoFixpointError(stratum.relations, self.max_iterations,
                               sum(self.deltas[r].n for r in grew),
                               f"{rel}({values})" if values else rel, origin)

    @staticmethod
    def _delta_reads_of(rule) -> list:
        """The relations whose delta ``rule`` scans."""
        return [op.rel for op in rule.ops if isinstance(op, ir.Join) and op.version == "delta"]

    def _add_batches(self, rel, parts):
        store = self._rel(rel)
        if not parts:
            return store.empty_run()
        if len(parts) == 1:
            return store.add(*parts[0])
        cols = [torch.cat(c) for c in zip(*(p[0] for p in parts))] if parts[0][0] else []
        tags = cat_tags(self.prov, [p[1] for p in parts], [p[2] for p in parts])
        return store.add(cols, tags, sum(p[2] for p in parts))

    # ---- operators --------------------------------------------------------------------
    # A pipeline is planned once per execution: each operator becomes a step closure that
    # holds what does not change between iterations (compiled expressions, the relation,
    # the columns live after it), so a fixpoint iteration runs no type dispatch, liveness
    # analysis or expression-tree walk. Every step returns only live columns.
    def run_ops(self, ops, table: Table, sink=None, needed_at_end=frozenset()) -> Table:
        """Run a pipeline; Insert ops hand their rows to ``sink(rel, cols, tags, n)``.
        Columns no later operator reads (nor ``needed_at_end``) are dropped on the way."""
        for step in self._plan(ops, needed_at_end):
            if table.n == 0 and sink is not None:
                return table  # nothing left to insert
            table = step(table, sink)
        return table

    def _plan(self, ops, needed_at_end) -> list:
        """The step closures of a pipeline (built on first use)."""
        key = (id(ops), needed_at_end)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = [self._step(op, alive) for op, alive in
                                       zip(ops, live_after(ops, needed_at_end))]
        return plan

    def _step(self, op, live):
        make = self._steps.get(type(op))
        if make is not None:
            return make(op, live)
        if isinstance(op, ir.Neural):
            raise NotAvailable(next(_unsupported([op]))[1], op.origin)
        raise NslRuntimeError(f"unknown IR operator {type(op).__name__}")

    def _spec(self, op, table) -> AtomSpec:
        key = (id(op), tuple(table.cols))
        spec = self._specs.get(key)
        if spec is None:
            spec = self._specs[key] = AtomSpec(op.args, table.cols, self.interner)
        return spec

    def _join(self, op, live):
        prov, rel, delta, deltas = self.prov, op.rel, op.version == "delta", self.deltas
        store = self._rel(rel)

        specs, interner = {}, self.interner  # the table's columns -> AtomSpec

        def step(table, sink):
            bound = tuple(table.cols)
            spec = specs.get(bound)
            if spec is None:
                spec = specs[bound] = AtomSpec(op.args, table.cols, interner)
            if delta:
                d = deltas.get(rel)
                runs = [d if d is not None else store.empty_run()]
            else:
                runs = store.snapshot()
            if not bound and table.n == 1 and not spec.lits and not spec.eqs \
                    and len(runs) == 1:
                run = runs[0]  # a scan: share the run's columns, no gather
                tags = run.tags if table.tags is None else mul_tags(
                    prov, prov.gather(table.tags, torch.zeros(run.n, dtype=torch.int64)),
                    run.tags)
                return Table({v: run.cols[p] for v, p in spec.new_vars.items() if v in live},
                             tags, run.n)
            return join(prov, table, runs, spec, live)
        return step

    def _antijoin(self, op, live):
        def step(table, sink):
            out = antijoin(self.prov, table, self._rel(op.rel).snapshot(), self._spec(op, table))
            return _only(out, live)
        return step

    def _filter(self, op, live):
        cond, prov = compile_expr(op.cond, self.interner), self.prov

        def step(table, sink):
            value, ok = cond(table)
            mask = value if value.dtype == torch.bool else value != 0
            return _select(prov, table, live, mask if ok is None else mask & ok)
        return step

    def _map(self, op, live):
        expr, prov, var, ty = compile_expr(op.expr, self.interner), self.prov, op.var, op.expr.type
        keep = var in live

        int_backed = ty in ("int", "bool", "str")  # int64 columns: to_column's test, inlined

        def step(table, sink):
            value, ok = expr(table)
            cols = {k: c for k, c in table.cols.items() if k in live}
            if keep:
                cols[var] = (value if value.dtype == torch.int64 else value.to(torch.int64)) \
                    if int_backed else to_column(value, ty)
            out = Table(cols, table.tags, table.n)
            return out if ok is None else out.where(prov, ok)
        return step

    def _aggregate(self, op, live):
        return lambda table, sink: _only(aggregate(self, op, table), live)

    def _weight(self, op, live):
        prov = self.prov

        def step(table, sink):
            fresh = prov.fresh(op.prob, table.n)
            if fresh is None:
                return _only(table, live)
            tags = mul_tags(prov, table.tags, fresh)
            out = Table(table.cols, tags, table.n).where(prov, ~prov.is_zero(tags))
            out.tags = prov.canonical(out.tags)
            return _only(out, live)
        return step

    def _knn(self, op, live):
        decl = next((i for i in self.module.indexes if i.name == op.index), None)
        rerank = decl.rerank if decl is not None else None

        def step(table, sink):
            out = knn(op, table, self.prov, self.indexes.get(op.index), rerank, self.interner)
            return _only(out, live)
        return step

    def _check(self, op: ir.Check, live):
        """Stop the run at the first row whose value is outside the check's type: one test
        over the whole column (a range compare, or ``isin`` on the listed values)."""
        get, ty = compile_expr(op.expr, self.interner), op.expr.type
        allowed = None
        if op.lo is None:
            if ty == "str":
                allowed = torch.tensor([self.interner.intern(v) for v in op.values
                                        if isinstance(v, str)], dtype=torch.int64)
            else:
                allowed = torch.tensor([v for v in op.values if not isinstance(v, str)],
                                       dtype=torch.float64 if ty == "float" else torch.int64)

        def step(table, sink):
            value, ok = get(table)
            column = to_column(value, ty)
            if op.lo is not None and ok is None and column.dtype == torch.int64 \
                    and column.shape[0]:
                # the column's range first: one call (a host read for one row) in the common
                # case that every value is inside; the mask only to find the first outside
                if column.shape[0] == 1:
                    lo = hi = column.item()
                else:
                    lo, hi = (x.item() for x in torch.aminmax(column))
                if op.lo <= lo and hi <= op.hi:
                    return _only(table, live)
            if op.lo is not None:
                bad = (column < op.lo) | (column > op.hi)
            else:
                bad = ~torch.isin(column, allowed.to(column.device))
            if ok is not None:
                bad &= ok
            if bool(bad.any()):
                first = int(torch.nonzero(bad)[0, 0])
                raise DerivedValueError(f"this rule derived {self._shown(column[first], ty)}, which is "
                                        f"not a value of type {op.type_text}", op.origin)
            return _only(table, live)
        return step

    def _shown(self, value: torch.Tensor, ty: str) -> str:
        from .io import show_value
        if ty == "str":
            return show_value(str(self.interner.decode(value.reshape(1))[0]))
        if ty == "bool":
            return show_value(bool(value))
        return show_value(value.item())

    def _insert(self, op: ir.Insert, live):
        rel, prov = op.rel, self.prov
        types = self._rel(rel).types
        # a variable of the column's type is read straight from the table (columns are stored
        # in their canonical dtype); anything else is a compiled expression
        getters = [e.name if isinstance(e, ir.ColRef) and e.type == ty else
                   compile_expr(e, self.interner) for e, ty in zip(op.exprs, types)]
        if all(type(g) is str for g in getters):
            def plain(table, sink):
                if sink is None:
                    raise NslRuntimeError("Insert inside an aggregate body")
                sink(rel, [table.cols[g] for g in getters], table.tags, table.n)
                return table  # the last operator: what it returns is not read
            return plain

        def step(table, sink):
            if sink is None:
                raise NslRuntimeError("Insert inside an aggregate body")
            cols, valid = [], None
            for get, ty in zip(getters, types):
                if type(get) is str:
                    cols.append(table.cols[get])
                    continue
                value, ok = get(table)
                cols.append(to_column(value, ty))
                valid = ok if valid is None else (valid if ok is None else valid & ok)
            if valid is None:
                sink(rel, cols, table.tags, table.n)
            else:
                idx = torch.nonzero(valid, as_tuple=True)[0]
                sink(rel, [torch.index_select(c, 0, idx) for c in cols],
                     gather_tags(prov, table.tags, idx), int(idx.shape[0]))
            return _only(table, live)
        return step


def _smallest(cols) -> int:
    """The position of the lexicographically smallest row of non-empty columns (the first
    of them when a column is not one value per row or is not ordered, e.g. NaN)."""
    rows = None
    for col in cols:
        if col.dim() != 1:
            break
        values = col if rows is None else col[rows]
        at = torch.nonzero(values == values.min()).reshape(-1)
        if not at.shape[0]:
            break
        rows = at if rows is None else rows[at]
        if rows.shape[0] == 1:
            break
    return 0 if rows is None else int(rows[0])


def _select(prov, table: Table, live, mask) -> Table:
    """The live columns of the rows of ``table`` where ``mask`` holds (no gathers when that
    is every row)."""
    cols = {k: c for k, c in table.cols.items() if k in live}
    if table.n == 1 and mask.item():  # (one row: a counter's delta) kept as it is
        return Table(cols, table.tags, 1)
    idx = positions(mask)
    if idx is None:
        return Table(cols, table.tags, table.n)
    return Table({k: torch.index_select(c, 0, idx) for k, c in cols.items()},
                 take_tags(prov, table.tags, idx), int(idx.shape[0]))


def _only(table: Table, live) -> Table:
    """``table`` without the columns not in ``live``."""
    if live.issuperset(table.cols):
        return table
    return Table({k: c for k, c in table.cols.items() if k in live}, table.tags, table.n)


__all__ = ["execute", "Executor", "index_of", "concat_tables"]
