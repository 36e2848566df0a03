"""What ``Program.run`` returns: :class:`Result`, the derived relations (rows decoded
lazily) and the verdicts of the program's verdict statements."""
from __future__ import annotations

from collections.abc import Mapping

from nsl.lang.diagnostics import UsageError


class _LazyRelations(Mapping):
    """Relation name → sorted rows, decoded into Python tuples only when first read."""

    def __init__(self, names, compute):
        self._names, self._compute, self._cache = tuple(names), compute, {}

    def __getitem__(self, name):
        if name not in self._names:
            raise KeyError(name)
        if name not in self._cache:
            self._cache[name] = self._compute(name)
        return self._cache[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def __repr__(self) -> str:
        shown = ", ".join(f"{n!r}: [{len(self._cache[n])} rows]" if n in self._cache else f"{n!r}: ..."
                          for n in self._names)
        return "{" + shown + "}"  # rows decode when read: ... until then


class Result:
    """What a run derived: relation rows as Python tuples (and tensors), and verdicts.

    ``relations`` holds the reported relations (the queried rows, or every
    derived relation); rows are decoded lazily, so a run that only needs
    tensors or sizes never builds millions of Python tuples.
    """

    def __init__(self, module, db, provenance: str, known: set[str] | None = None):
        """``known`` names every relation of the program (for the message when one that
        the run did not compute is asked for)."""
        self._module = module
        self._db = db
        self._known = set(known or ())
        self.provenance = provenance
        self.verdicts: list[dict] = []
        # Diagnostics about the run's inputs that did not stop it (e.g. an index
        # whose log ends in a damaged record); render them with Program.sources.
        self.warnings: list = []
        self.relations = _LazyRelations(module.outputs, self._reported_rows)

    def _reported_rows(self, name: str) -> list[tuple]:
        specs = [q for q in self._module.queries if q.rel == name]
        if not specs:
            return self._db.rows(name)
        if len(specs) == 1:
            return self._db.query(specs[0])
        return sorted({row for spec in specs for row in self._db.query(spec)})

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n} ({self._db.size(n)} facts)" for n in self.relations)  # as size()
        verdicts = f", {len(self.verdicts)} verdicts" if self.verdicts else ""
        return f"<nsl.Result ({self.provenance}): {sizes or 'no relations'}{verdicts}>"

    def __getitem__(self, rel: str) -> list[tuple]:
        return self.rows(rel)

    def rows(self, rel: str) -> list[tuple]:
        """Sorted rows of any relation the run computed (query-filtered if reported).

        A new list each call (changing it changes no later result); a tensor value in a
        row is shared with the result's rows, so treat it as read-only (``.clone()`` it
        to change it). A relation the run did not compute raises :class:`nsl.UsageError`.
        """
        self._computed(rel)
        if rel in self.relations:
            return list(self.relations[rel])
        return self._db.rows(rel)

    def size(self, rel: str) -> int:
        """The number of facts in ``rel`` (no decoding)."""
        self._computed(rel)
        return self._db.size(rel)

    def tensors(self, rel: str):
        """The relation's columns as torch tensors (strings as interned ids), copies that
        the caller may change without changing the result."""
        self._computed(rel)
        return [c.clone() for c in self._db.columns(rel)]

    def _computed(self, rel) -> None:
        from nsl.lang.check.symbols import suggest

        if isinstance(rel, str) and rel in self._db.relation_names():
            return
        if not isinstance(rel, str):
            raise UsageError(f"a relation is named by a str, not {type(rel).__name__} {rel!r}")
        if rel in self._known:
            raise UsageError(f"relation '{rel}' was not computed by this run (no reported "
                             f"relation depends on it): name it in run(queries=[...]) to get it")
        raise UsageError(f"unknown relation '{rel}'" + suggest(rel, self._known or self._db.relation_names()))

    @property
    def database(self):
        return self._db

    def to_json(self) -> dict:
        """The machine-readable result of ``nslc run --json``."""
        return {"relations": {name: [{"args": [_json_value(v) for v in r]} for r in rows]
                              for name, rows in self.relations.items()},
                "verdicts": list(self.verdicts)}


def _json_value(value):
    """A row's value as JSON holds it: a tensor as the nested list of its numbers (a float32
    element as the float of exactly its value), as a JSONL input file gives a tensor."""
    return value.tolist() if hasattr(value, "tolist") else value
