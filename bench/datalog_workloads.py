"""The Datalog benchmark's workloads: input data, expected result sizes, warm-ups.

Two programs, the same for every system (left-linear recursion, as in the
Soufflé and Scallop benchmark suites):

* transitive closure (``tc``) over ``edge(src, dst)``::

      path(a, b) :- edge(a, b).
      path(a, c) :- path(a, b), edge(b, c).

* same generation (``sg``) over ``parent(child, parent)``::

      sg(x, y) :- parent(x, p), parent(y, p), x != y.
      sg(x, y) :- parent(x, a), sg(a, b), parent(y, b).

Data is generated deterministically (fixed seeds), in every worker process,
outside the timed region.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

RANDOM_SEED = 20240601


@dataclass(frozen=True)
class Workload:
    """One benchmark row: a program (``kind``) applied to one generated input."""

    name: str
    kind: str                      # "tc" or "sg"
    params: tuple = field(default=())
    description: str = ""

    @property
    def input_relation(self) -> str:
        return "edge" if self.kind == "tc" else "parent"

    @property
    def output_relation(self) -> str:
        return "path" if self.kind == "tc" else "sg"

    def rows(self) -> list[tuple[int, int]]:
        """The input relation as a list of ``(int, int)`` tuples."""
        return _generate(self.name.split("-")[1], self.params)

    def warmup_rows(self) -> list[tuple[int, int]]:
        """A tiny input of the same shape, run once untimed in each worker process."""
        family = self.name.split("-")[1]
        small = {"chain": (20,), "random": (50, 200, RANDOM_SEED), "tree": (3,)}[family]
        return _generate(family, small)

    def expected_size(self) -> int | None:
        """The result size when it is known in closed form (None for random graphs)."""
        family = self.name.split("-")[1]
        if family == "chain":
            (n,) = self.params
            return n * (n - 1) // 2
        if family == "tree":
            (depth,) = self.params
            # sg = ordered pairs of distinct nodes on the same level 1..depth
            return sum((2 ** d) * (2 ** d - 1) for d in range(1, depth + 1))
        return None


def _generate(family: str, params: tuple) -> list[tuple[int, int]]:
    if family == "chain":
        (n,) = params
        return [(i, i + 1) for i in range(n - 1)]
    if family == "random":
        n, m, seed = params
        rng = random.Random(seed)
        edges: set[tuple[int, int]] = set()
        while len(edges) < m:  # m distinct edges, no self-loops
            a, b = rng.randrange(n), rng.randrange(n)
            if a != b:
                edges.add((a, b))
        return sorted(edges)
    if family == "tree":
        (depth,) = params
        # complete binary tree in heap numbering: node i > 0 has parent (i - 1) // 2
        nodes = 2 ** (depth + 1) - 1
        return [(i, (i - 1) // 2) for i in range(1, nodes)]
    raise ValueError(f"unknown workload family {family!r}")


def _tc_chain(n: int) -> Workload:
    return Workload(f"tc-chain-{n}", "tc", (n,), f"transitive closure, chain of {n} nodes")


def _tc_random(n: int, m: int) -> Workload:
    return Workload(f"tc-random-{n}", "tc", (n, m, RANDOM_SEED),
                    f"transitive closure, random digraph n={n} m={m} seed={RANDOM_SEED}")


def _sg_tree(depth: int) -> Workload:
    return Workload(f"sg-tree-{depth}", "sg", (depth,),
                    f"same generation, complete binary tree of depth {depth} "
                    f"({2 ** (depth + 1) - 1} nodes)")


FULL = (_tc_chain(500), _tc_chain(1000), _tc_chain(2000), _tc_random(2000, 10000), _sg_tree(10))
QUICK = (_tc_chain(200), _tc_random(300, 1500), _sg_tree(7))
