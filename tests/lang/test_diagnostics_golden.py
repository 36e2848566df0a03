"""Golden diagnostics: each ``golden/diagnostics/X.nsl`` must fail `nslc check` with exactly ``X.err``."""
from __future__ import annotations

import pathlib

import pytest

from tests.helpers import nslc

GOLDEN = pathlib.Path(__file__).parent / "golden" / "diagnostics"
CASES = sorted(p.stem for p in GOLDEN.glob("*.nsl"))


@pytest.mark.parametrize("name", CASES)
def test_diagnostic_matches_golden(name):
    proc = nslc("check", f"{name}.nsl", cwd=str(GOLDEN))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    expected = (GOLDEN / f"{name}.err").read_text()
    assert proc.stderr == expected
