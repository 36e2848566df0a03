"""Differential property test: the engine agrees with a brute-force reference on random programs."""
from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nsl
from tests.reference_datalog import evaluate, programs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(st), st.randoms(use_true_random=False))
def test_engine_matches_reference(program, rng):
    # literal order in the source is shuffled: the compiler must schedule it
    text = program.render(shuffle=rng.shuffle)
    expected = evaluate(program)
    # verify=True checks the IR after lowering and after every pass
    result = nsl.compile(text, verify=True).run(queries=sorted(program.arity))
    for rel in sorted(program.arity):
        assert result.rows(rel) == sorted(expected[rel]), f"{rel} differs for\n{text}"
