"""The REPL refuses at entry what `nslc run` could not run, so the session never holds it."""
from __future__ import annotations

import numpy as np
import pytest

from nsl.repl_session import ReplSession
from tests.helpers import repl_session


# ---- statements that cannot run are refused at entry ----------------------------------

@pytest.mark.parametrize("statement, message", [
    ("constraint sym: forall a, b: friend(a, b) -> friend(b, a).", "constraints cannot run yet"),
    ("prove add_comm: forall x: int, y: int: x + y == y + x.", "provers (`prove`) cannot run yet"),
    ("entails e: friend(1, 2).", "`entails` cannot run yet"),
])
def test_a_statement_that_cannot_run_is_refused_at_entry(statement, message):
    s = repl_session("friend(1, 2).")
    out = s.feed(statement)
    assert out.startswith("<repl>:1:1: error: " + message), out
    assert statement.splitlines()[0] in out and "^" in out
    assert s.errors == 1
    assert s.feed("friend(x, y)?") == "// friend: 1 fact\nfriend(1, 2)."
    assert s.feed(":show") == "// <repl:1>\nfriend(1, 2)."
    assert s.errors == 1  # later queries are not poisoned


def test_a_statement_that_cannot_run_is_refused_with_the_query_typed_with_it():
    s = repl_session("friend(1, 2).")
    out = s.feed("constraint c: forall a, b: friend(a, b) -> friend(b, a). friend(x, y)?")
    assert out.startswith("<repl>:1:1: error: constraints cannot run yet")
    assert "// friend" not in out


def test_a_provenance_that_cannot_run_is_refused_at_entry():
    s = ReplSession()
    out = s.feed("@provenance(minmax)")
    assert out.startswith("<repl>:1:1: error: provenance 'minmax' cannot run yet"), out
    assert "@provenance(minmax)\n^" in out
    assert s.feed(":show") == "" and s.feed("e(1).") == ""
    assert s.feed("e(x)?") == "// e: 1 fact\ne(1)."
    assert s.errors == 1


def test_an_available_provenance_is_accepted():
    s = repl_session("@provenance(bool)", "e(1).")
    assert s.feed("e(x)?") == "// e: 1 fact\ne(1)."


def test_a_missing_from_file_is_refused_at_entry(tmp_path):
    s = ReplSession(base_dir=str(tmp_path))
    s.feed("ok(1).")
    out = s.feed('input x(a: int) from "nope.csv"')
    assert out.startswith("<repl>:1:1: error: ") and "nope.csv" in out and "does not exist" in out
    assert "^" in out
    assert s.feed("ok(x)?") == "// ok: 1 fact\nok(1)."
    assert "x/1" not in s.feed(":rels")


def test_an_index_of_the_wrong_dimension_is_refused_at_entry(tmp_path):
    np.save(tmp_path / "mem3.npy", np.eye(3, dtype=np.float32))
    s = ReplSession(base_dir=str(tmp_path))
    s.feed("ok(1).")
    out = s.feed('index bad(dim = 4, quant = int8, metric = ip) from "mem3.npy"')
    assert out.startswith("<repl>:1:1: error: "), out
    assert "^" in out
    assert s.feed("ok(x)?") == "// ok: 1 fact\nok(1)."
    # a valid index is still accepted, once
    assert s.feed('index good(dim = 3, quant = int8, metric = ip) from "mem3.npy"') == ""
    assert s.errors == 1


def test_a_loaded_file_that_cannot_run_is_refused_whole(tmp_path):
    program = tmp_path / "p.nsl"
    program.write_text("e(1, 2).\nprove t: forall x: int: x == x.\n")
    s = ReplSession()
    out = s.feed(f":load {program}")
    assert out.startswith(f"{program}:2:1: error: provers (`prove`) cannot run yet")
    assert s.feed(":rels") == "no relations yet"
