"""One runner per system: NSL and its peers, each in three steps.

``prepare(kind, rows)`` (untimed) turns the generated input into the form the
system reads (a list of tuples, fact text, ...) and does per-program work
that is not evaluation (NSL: ``nsl.compile``, timed separately as compile
time). ``run(state)`` is the timed evaluation, including loading the facts
into the engine wherever the system has to. ``size(out)`` (untimed) counts
the result relation. docs/benchmarks.md states exactly what each ``run`` does.
"""
from __future__ import annotations

import importlib.util
import time
from importlib import metadata

# ---- the programs, once per system -------------------------------------------------

NSL_PROGRAMS = {
    "tc": """input edge(src: int, dst: int)
path(a, b) :- edge(a, b).
path(a, c) :- path(a, b), edge(b, c).
""",
    "sg": """input parent(c: int, p: int)
sg(x, y) :- parent(x, p), parent(y, p), x != y.
sg(x, y) :- parent(x, a), sg(a, b), parent(y, b).
""",
}

CLINGO_PROGRAMS = {
    "tc": "path(X,Y) :- edge(X,Y).\npath(X,Z) :- path(X,Y), edge(Y,Z).\n#show path/2.\n",
    "sg": ("sg(X,Y) :- parent(X,P), parent(Y,P), X != Y.\n"
           "sg(X,Y) :- parent(X,A), sg(A,B), parent(Y,B).\n#show sg/2.\n"),
}

# UNION (not UNION ALL): set semantics, so the CTE terminates on cyclic graphs and
# the result has no duplicates, like the Datalog relation.
SQL_SCHEMA = {
    "tc": ("CREATE TABLE edge(src INTEGER NOT NULL, dst INTEGER NOT NULL)",
           "CREATE INDEX edge_src ON edge(src)"),
    "sg": ("CREATE TABLE parent(c INTEGER NOT NULL, p INTEGER NOT NULL)",
           "CREATE INDEX parent_p ON parent(p)"),
}
SQL_QUERY = {
    "tc": """CREATE TABLE result AS
WITH RECURSIVE path(a, b) AS (
    SELECT src, dst FROM edge
  UNION
    SELECT path.a, edge.dst FROM path JOIN edge ON path.b = edge.src
) SELECT a, b FROM path""",
    "sg": """CREATE TABLE result AS
WITH RECURSIVE sg(x, y) AS (
    SELECT p1.c, p2.c FROM parent p1 JOIN parent p2 ON p1.p = p2.p WHERE p1.c <> p2.c
  UNION
    SELECT p1.c, p2.c FROM sg JOIN parent p1 ON p1.p = sg.x JOIN parent p2 ON p2.p = sg.y
) SELECT x, y FROM sg""",
}

NSL_PROBE = "e(1,2). e(2,3). p(a,b) :- e(a,b). p(a,c) :- p(a,b), e(b,c)."
NSL_PROBE_EXPECTED = [(1, 2), (1, 3), (2, 3)]


class Runner:
    """Base of a system under test; ``name`` is the column header."""

    name = ""
    module = ""          # importable module whose absence means "not installed"
    distribution = ""    # PyPI name, for the version

    def available(self) -> str | None:
        """None when the system can run here, else the reason it cannot."""
        if importlib.util.find_spec(self.module) is None:
            return f"not installed (pip install {self.distribution}, or pip install -e .[bench])"
        return None

    def version(self) -> str:
        try:
            return metadata.version(self.distribution)
        except metadata.PackageNotFoundError:
            return "?"

    def prepare(self, kind: str, rows: list) -> object:
        return (kind, rows)

    def run(self, state) -> object:
        raise NotImplementedError

    def size(self, out) -> int:
        raise NotImplementedError


class Nsl(Runner):
    name, module, distribution = "nsl", "nsl", "nsl"

    def available(self) -> str | None:
        # "works end to end" is the bar, not "imports": compile and run a tiny program
        try:
            import nsl
            rows = nsl.compile(NSL_PROBE).run().relations.get("p")
        except Exception as exc:  # noqa: BLE001 - any failure means "not available", with why
            return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        if rows != NSL_PROBE_EXPECTED:
            return f"probe program gave {rows!r}, expected {NSL_PROBE_EXPECTED!r}"
        return None

    def prepare(self, kind, rows):
        import nsl
        t0 = time.perf_counter()
        prog = nsl.compile(NSL_PROGRAMS[kind])
        self.compile_seconds = time.perf_counter() - t0
        rel = "edge" if kind == "tc" else "parent"
        return prog, rel, rows, ("path" if kind == "tc" else "sg")

    def run(self, state):
        prog, rel, rows, out = state
        return prog.run(facts={rel: rows}), out

    def size(self, out):
        result, rel = out
        return result.size(rel)


class Clingo(Runner):
    name, module, distribution = "clingo", "clingo", "clingo"

    def prepare(self, kind, rows):
        rel = "edge" if kind == "tc" else "parent"
        # the fact text is the input file a clingo user would have: built untimed, parsed timed
        facts = "".join(f"{rel}({a},{b}).\n" for a, b in rows)
        return kind, facts + CLINGO_PROGRAMS[kind]

    def run(self, state):
        import clingo
        kind, text = state
        ctl = clingo.Control(["--warn=none"])
        ctl.add("base", [], text)
        ctl.ground([("base", [])])
        ctl.solve()
        return ctl, kind

    def size(self, out):
        ctl, kind = out
        name = "path" if kind == "tc" else "sg"
        return sum(1 for _ in ctl.symbolic_atoms.by_signature(name, 2))


class Sqlite(Runner):
    name, module, distribution = "sqlite3", "sqlite3", ""

    def version(self) -> str:
        import sqlite3
        return sqlite3.sqlite_version

    def run(self, state):
        import sqlite3
        kind, rows = state
        con = sqlite3.connect(":memory:")
        create, index = SQL_SCHEMA[kind]
        con.execute(create)
        con.executemany(f"INSERT INTO {'edge' if kind == 'tc' else 'parent'} VALUES (?, ?)", rows)
        con.execute(index)  # without it every recursive step scans the whole input table
        con.execute(SQL_QUERY[kind])
        con.commit()
        return con

    def size(self, con):
        return con.execute("SELECT count(*) FROM result").fetchone()[0]


class DuckDb(Runner):
    name, module, distribution = "duckdb", "duckdb", "duckdb"

    def prepare(self, kind, rows):
        # columns as two Python lists, bulk-inserted through unnest (executemany is row-at-a-time)
        return kind, [r[0] for r in rows], [r[1] for r in rows]

    def run(self, state):
        import duckdb
        kind, col0, col1 = state
        con = duckdb.connect(":memory:")
        create, _index = SQL_SCHEMA[kind]  # duckdb joins by hash; an ART index would not be used
        con.execute(create.replace("INTEGER", "BIGINT"))
        table = "edge" if kind == "tc" else "parent"
        con.execute(f"INSERT INTO {table} SELECT unnest($1), unnest($2)", [col0, col1])
        con.execute(SQL_QUERY[kind])
        return con

    def size(self, con):
        return con.execute("SELECT count(*) FROM result").fetchone()[0]


class NetworkX(Runner):
    name, module, distribution = "networkx", "networkx", "networkx"

    def run(self, state):
        import networkx as nx
        kind, rows = state
        g = nx.DiGraph()
        if kind == "tc":
            g.add_edges_from(rows)
            # nx.transitive_closure(g, reflexive=False) semantics (a self-pair exactly for nodes
            # on a cycle) as a dict of descendant sets: same relation, without building a
            # multi-million-edge DiGraph, which is several times slower.
            closure = {v: nx.descendants(g, v) for v in g}
            for comp in nx.strongly_connected_components(g):
                if len(comp) > 1:
                    for v in comp:
                        closure[v].add(v)
            for v in nx.nodes_with_selfloops(g):
                closure[v].add(v)
            return closure
        # same generation: no networkx algorithm; semi-naive evaluation over Python sets,
        # children looked up in the DiGraph (edges parent -> child)
        g.add_edges_from((p, c) for c, p in rows)
        delta = {(x, y) for p in g for x in g.successors(p) for y in g.successors(p) if x != y}
        sg = set(delta)
        while delta:
            delta = {(x, y) for a, b in delta for x in g.successors(a) for y in g.successors(b)} - sg
            sg |= delta
        return sg

    def size(self, out):
        if isinstance(out, dict):
            return sum(len(s) for s in out.values())
        return len(out)


RUNNERS = {r.name: r for r in (Nsl(), Clingo(), DuckDb(), Sqlite(), NetworkX())}
PEERS = tuple(name for name in RUNNERS if name != "nsl")
