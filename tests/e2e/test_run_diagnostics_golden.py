"""Golden run-time diagnostics: each ``golden/run_errors/X.nsl`` must fail `nslc run` with
exactly ``X.err`` -- bad fact rows at the row or value, bad JSONL tensors at the element.

A data file's path is printed as the program resolves it (absolute); the golden text
has it relative to the golden folder. Regenerate a case with
``NSL_REGOLD=1 python -m pytest tests/e2e/test_run_diagnostics_golden.py``.
"""
from __future__ import annotations

import os
import pathlib

import pytest

from tests.helpers import nslc

GOLDEN = pathlib.Path(__file__).parent / "golden" / "run_errors"
CASES = sorted(p.stem for p in GOLDEN.glob("*.nsl"))


@pytest.mark.parametrize("name", CASES)
def test_run_diagnostic_matches_golden(name):
    proc = nslc("run", f"{name}.nsl", cwd=str(GOLDEN))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    stderr = proc.stderr.replace(str(GOLDEN.resolve()) + os.sep, "")
    golden = GOLDEN / f"{name}.err"
    if os.environ.get("NSL_REGOLD"):
        golden.write_text(stderr)
    assert stderr == golden.read_text()
