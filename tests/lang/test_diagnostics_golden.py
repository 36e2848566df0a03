"""Golden diagnostics: each ``golden/diagnostics/X.nsl`` must fail `nslc check` with exactly ``X.err``
(``NSL_REGOLD=1`` regenerates them)."""
from __future__ import annotations

import pathlib

import pytest

from tests.helpers import assert_fails_as_golden

GOLDEN = pathlib.Path(__file__).parent / "golden" / "diagnostics"
CASES = sorted(p.stem for p in GOLDEN.glob("*.nsl"))


@pytest.mark.parametrize("name", CASES)
def test_diagnostic_matches_golden(name):
    assert_fails_as_golden("check", GOLDEN, name)
