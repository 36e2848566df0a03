"""Pass golden files: IR in, IR out. ``golden/passes/PASS/X.ir`` → ``X.expected.ir``.

Each pass runs alone on the parsed input; the IR must verify before and after.
"""
from __future__ import annotations

import pathlib

import pytest

from nsl.compiler.ir_parser import parse_module
from nsl.compiler.ir_printer import print_module
from nsl.compiler.passes import PASSES
from nsl.compiler.verify import verify_module

GOLDEN = pathlib.Path(__file__).parent / "golden" / "passes"
CASES = sorted((p.parent.name, p.name[:-3]) for p in GOLDEN.glob("*/*.ir") if not p.name.endswith(".expected.ir"))


@pytest.mark.parametrize("pass_name,case", CASES, ids=[f"{p}/{c}" for p, c in CASES])
def test_pass_matches_golden(pass_name, case):
    folder = GOLDEN / pass_name
    module = parse_module((folder / f"{case}.ir").read_text())
    assert verify_module(module) == []
    out = PASSES[pass_name].apply(module)
    assert verify_module(out) == []
    assert print_module(out) == (folder / f"{case}.expected.ir").read_text()


def test_every_pass_has_a_golden():
    assert {p for p, _ in CASES} == set(PASSES)
