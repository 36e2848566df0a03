"""The result of an execution: every relation's columns and tags, decoded on demand."""
from __future__ import annotations

import torch

from nsl.compiler import ir

from .expr import literal_value


class Database:
    """Relations after execution. Strings are interned ids in ``columns``; ``rows`` decodes."""

    def __init__(self, store: dict, interner, provenance, module=None):
        self._store, self.interner, self.provenance = store, interner, provenance
        self.module = module

    def relation_names(self) -> list[str]:
        return sorted(self._store)

    def types(self, name: str) -> tuple:
        return self._store[name].types

    def columns(self, name: str) -> list[torch.Tensor]:
        """One tensor per column, rows in key order (strings as interned int64 ids)."""
        return list(self._store[name].consolidated().cols)

    def tags(self, name: str) -> torch.Tensor:
        """The tag column, aligned with ``columns`` (materialized: never None)."""
        run = self._store[name].consolidated()
        return self.provenance.one(run.n) if run.tags is None else run.tags

    def __len__(self):
        return len(self._store)

    def size(self, name: str) -> int:
        return self._store[name].consolidated().n

    def rows(self, name: str) -> list[tuple]:
        """Sorted Python tuples (str decoded, bool as bool, float as float)."""
        if self._has_tensors(name):
            return [row for row, _ in self.facts(name)]
        rows = self._rows(name)
        return rows if self._store[name].in_value_order() else sorted(rows)

    def facts(self, name: str) -> list[tuple]:
        """Sorted ``(row, prob)`` pairs; ``prob`` from the provenance's ``to_prob``."""
        rows = self._rows(name)
        probs = self.provenance.to_prob(self.tags(name)).tolist()
        if not self._has_tensors(name):
            pairs = list(zip(rows, probs))  # rows are distinct: their order is the pairs' order
            return pairs if self._store[name].in_value_order() else sorted(pairs)
        scalar = [j for j, ty in enumerate(self.types(name)) if not ty.startswith("tensor")]
        order = sorted(range(len(rows)), key=lambda i: tuple(rows[i][j] for j in scalar))
        return [(rows[i], probs[i]) for i in order]

    def _has_tensors(self, name):
        return any(ty.startswith("tensor") for ty in self.types(name))

    def _rows(self, name):
        run = self._store[name].consolidated()
        decoded = [self._decode(c, ty) for c, ty in zip(run.cols, self.types(name))]
        return list(zip(*decoded)) if decoded else [()] * run.n

    def query(self, spec: ir.QuerySpec) -> list[tuple]:
        """Rows of ``spec.rel`` matching its literals (and repeated variables)."""
        run = self._store[spec.rel].consolidated()
        mask = torch.ones(run.n, dtype=torch.bool)
        first: dict = {}
        for pos, arg in enumerate(spec.args):
            if isinstance(arg, ir.Lit):
                mask &= run.cols[pos] == literal_value(arg, self.interner)
            elif isinstance(arg, ir.ColRef):
                if arg.name in first:
                    mask &= run.cols[pos] == run.cols[first[arg.name]]
                else:
                    first[arg.name] = pos
        rows = self._rows(spec.rel)
        picked = [rows[i] for i in torch.nonzero(mask).reshape(-1).tolist()]
        return picked if self._store[spec.rel].in_value_order() else sorted(picked)

    def _decode(self, col, ty):
        if ty == "str":
            return self.interner.decode(col).tolist()
        if ty == "bool":
            return [bool(v) for v in col.tolist()]
        if ty.startswith("tensor"):
            return list(col.unbind(0))
        return col.tolist()
