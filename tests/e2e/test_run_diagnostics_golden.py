"""Golden run-time diagnostics: each ``golden/run_errors/X.nsl`` must fail `nslc run` with
exactly ``X.err`` -- bad fact rows at the row or value, bad JSONL tensors at the element,
rule-form errors (the checker's, met by `run` too) at the literal, data files relative to the
current directory.

Each case runs in the golden folder, so paths print as there. Regenerate a case with
``NSL_REGOLD=1 python -m pytest tests/e2e/test_run_diagnostics_golden.py``.
"""
from __future__ import annotations

import pathlib

import pytest

from tests.helpers import assert_fails_as_golden, nslc

GOLDEN = pathlib.Path(__file__).parent / "golden" / "run_errors"
CASES = sorted(p.stem for p in GOLDEN.glob("*.nsl"))


@pytest.mark.parametrize("name", CASES)
def test_run_diagnostic_matches_golden(name):
    assert_fails_as_golden("run", GOLDEN, name)


def test_data_file_path_is_relative_to_the_current_directory():
    proc = nslc("run", "run_errors/jsonl_tensor_ragged.nsl", cwd=str(GOLDEN.parent))
    assert proc.returncode == 1
    assert proc.stderr.startswith("run_errors/jsonl_tensor_ragged.jsonl:1:22: error: "), proc.stderr


def test_data_file_outside_the_current_directory_is_printed_absolute(tmp_path):
    proc = nslc("run", str(GOLDEN / "jsonl_tensor_ragged.nsl"), cwd=str(tmp_path))
    assert proc.returncode == 1
    expected = str(GOLDEN.resolve() / "jsonl_tensor_ragged.jsonl") + ":1:22: error: "
    assert proc.stderr.startswith(expected), proc.stderr
