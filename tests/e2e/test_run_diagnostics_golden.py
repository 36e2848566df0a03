"""Golden run-time diagnostics: each ``golden/run_errors/X.nsl`` must fail `nslc run` with
exactly ``X.err`` -- bad fact rows at the row or value, bad JSONL tensors at the element,
lowering errors at the literal, data files relative to the current directory.

Each case runs in the golden folder, so paths print as there. Regenerate a case with
``NSL_REGOLD=1 python -m pytest tests/e2e/test_run_diagnostics_golden.py``.
"""
from __future__ import annotations

import pathlib

import pytest

from tests.helpers import assert_fails_as_golden

GOLDEN = pathlib.Path(__file__).parent / "golden" / "run_errors"
CASES = sorted(p.stem for p in GOLDEN.glob("*.nsl"))


@pytest.mark.parametrize("name", CASES)
def test_run_diagnostic_matches_golden(name):
    assert_fails_as_golden("run", GOLDEN, name)
