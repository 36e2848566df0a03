"""The engine against the naive reference evaluator on random stratified programs."""
from hypothesis import HealthCheck, given, settings

from nsl.runtime import execute

from naive_eval import naive_eval
from random_programs import program


def _check(mod, inputs):
    expected = naive_eval(mod, inputs)
    db = execute(mod, inputs=inputs)
    for r in mod.relations:
        assert db.rows(r.name) == sorted(expected[r.name]), r.name


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(program())
def test_engine_matches_naive_evaluator(case):
    naive, semi, inputs = case
    _check(semi, inputs)
    _check(naive, inputs)
