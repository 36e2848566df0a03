"""The engine against the naive reference evaluator on random stratified programs.

Run in several storage modes (bitmap dedup, sorted runs, hashed keys) and with a
provenance that carries explicit tags, so every code path meets the reference.
"""
import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings

from nsl.compiler import ir
from nsl.runtime import dense, execute, join, keys
from nsl.runtime.provenance.tagged_bool import TaggedBoolProvenance as TaggedBool

from naive_eval import naive_eval
from random_programs import program


def _check(mod, inputs, provenance=None):
    expected = naive_eval(mod, inputs)
    db = execute(mod, inputs=inputs, provenance=provenance)
    for r in mod.relations:
        assert db.rows(r.name) == sorted(expected[r.name]), r.name
        assert bool(db.tags(r.name).all())


MODES = {
    "bitmap": {},
    "sorted-runs": {(dense, "DENSE_LIMIT"): 0, (join, "DIRECT_ADDRESSING"): False},
    "hashed-keys": {(dense, "DENSE_LIMIT"): 0, (keys, "_PACK_LIMIT"): 1},
}


@pytest.mark.parametrize("mode", list(MODES))
def test_engine_matches_naive_evaluator(mode, monkeypatch):
    for (mod, name), value in MODES[mode].items():
        monkeypatch.setattr(mod, name, value)

    @settings(max_examples=120 if mode == "bitmap" else 60, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(program())
    def run(case):
        naive, semi, inputs = case
        _check(semi, inputs)
        _check(naive, inputs)

    run()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(program())
def test_tag_carrying_provenance_matches_naive_evaluator(case):
    _, semi, inputs = case
    # inputs as probabilistic facts (p = 1), so tags are materialized from the start
    as_facts = tuple(ir.Facts(name, tuple(ir.FactRow(tuple(r), 1.0) for r in rows))
                     for name, rows in inputs.items())
    _check(dataclasses.replace(semi, facts=as_facts), {}, provenance=TaggedBool())
