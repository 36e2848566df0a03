"""``knn`` where it cannot stand (negated, queried, in a formula) and index names that clash:
every command reports one positioned error and exits 1, never an internal error or exit 0
with invalid IR (the checks themselves are the goldens ``knn_places`` and ``index_names``)."""
from __future__ import annotations

import numpy as np
import pytest

import nsl
from tests.helpers import expect_error, nslc

HEADER = ('index m(dim = 4, quant = int8, metric = l2) from "base.npy"\n'
          'input question(q: int, v: tensor[4]) from "q.jsonl"\n')

CASES = {
    "negated": ("far(q) :- question(q, v), not knn(m, v, 3, 3, _).\nquery far.\n",
                "p.nsl:3:27: error: knn cannot be negated; derive the neighbours into a relation first"),
    "negated_unbound_index": ("far(q) :- question(q, v), not knn(mm, v, 3, 3, _).\nquery far.\n",
                              "p.nsl:3:27: error: knn cannot be negated"),
    "queried": ("r(q, d) :- question(q, v), knn(m, v, 1, d, _).\nquery knn(m, _, 1, _, _).\n",
                "p.nsl:4:7: error: knn is a built-in relation and cannot be queried; query a relation "
                "derived from it"),
    "queried_whole": ("r(q, d) :- question(q, v), knn(m, v, 1, d, _).\nquery knn.\n",
                      "p.nsl:4:7: error: knn is a built-in relation and cannot be queried"),
    "constraint": ("constraint nn: forall q, v: question(q, v) -> knn(m, v, 1, _, _).\n",
                   "p.nsl:3:47: error: knn cannot be used in constraint formulas"),
    "entails": ("entails e1: knn(m, 1, 1, 3, 1.0).\n",
                "p.nsl:3:13: error: knn cannot be used in entails formulas"),
    "index_is_a_relation": ("m(1, 2).\nr(q, d) :- question(q, v), knn(m, v, 1, d, _).\nquery r.\n",
                            "p.nsl:1:1: error: index 'm' has the same name as a relation"),
}


@pytest.fixture()
def workdir(tmp_path):
    np.save(tmp_path / "base.npy", np.eye(4, dtype=np.float32))
    (tmp_path / "q.jsonl").write_text("[1, [1, 0, 0, 0]]\n")
    return tmp_path


COMMANDS = [("check",), ("run",), ("compile", "--emit", "ir")]
EVERY_EMIT = [("compile", "--emit", "ast"), ("compile", "--emit", "llvm"), ("compile", "--verify")]


@pytest.mark.parametrize("case, command", [(case, command) for case in sorted(CASES) for command in
                                           COMMANDS + (EVERY_EMIT if case in ("negated", "queried") else [])])
def test_every_command_reports_one_positioned_error(workdir, command, case):
    body, message = CASES[case]
    (workdir / "p.nsl").write_text(HEADER + body)
    proc = nslc(*command, "p.nsl", cwd=str(workdir))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "internal" not in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(message), proc.stderr
    assert proc.stderr.count("error:") == 1, proc.stderr


def test_the_library_reports_them_too():
    expect_error(HEADER + "far(q) :- question(q, v), not knn(m, v, 3, 3, _).\n",
                 "<input>:3:27: error: knn cannot be negated")


def test_the_suggested_rewrite_negates_the_derived_relation(workdir):
    # what the message points to: derive the neighbours, then negate that relation
    (workdir / "p.nsl").write_text(HEADER + "near(q, d) :- question(q, v), knn(m, v, 1, d, _).\n"
                                   "far(q, d) :- question(q, _), question(d, _), not near(q, d).\n")
    assert nsl.compile(workdir / "p.nsl").run(
        facts={"question": [(0, [1.0, 0, 0, 0]), (1, [0, 1.0, 0, 0])]})["far"] == [(0, 1), (1, 0)]


def test_a_k_that_evaluates_to_zero_or_less_gives_no_neighbours(workdir):
    # documented: data-dependent, so not an error (a constant 0 is a compile error)
    (workdir / "p.nsl").write_text(
        'index m(dim = 4, quant = int8, metric = l2) from "base.npy"\n'
        "input question(q: int, v: tensor[4], k: int)\n"
        "near(q, d) :- question(q, v, k), knn(m, v, k - 2, d, _).\n")
    rows = [(q, [1.0, 0, 0, 0], q) for q in range(4)]
    assert nsl.compile(workdir / "p.nsl").run(facts={"question": rows})["near"] == [(3, 0)]
