"""Golden lowering: each ``golden/lower/X.nsl`` lowers (no passes) to exactly ``X.ir``."""
from __future__ import annotations

import pathlib

import pytest

from nsl.compiler.driver import compile_source
from nsl.compiler.ir_parser import parse_module
from nsl.compiler.ir_printer import print_module

GOLDEN = pathlib.Path(__file__).parent / "golden" / "lower"
CASES = sorted(p.stem for p in GOLDEN.glob("*.nsl"))


@pytest.mark.parametrize("name", CASES)
def test_lowering_matches_golden(name):
    source = (GOLDEN / f"{name}.nsl").read_text()
    module = compile_source(source, f"{name}.nsl", passes=(), verify=True).module
    text = print_module(module)
    assert text == (GOLDEN / f"{name}.ir").read_text()
    assert parse_module(text) == module  # the golden is also valid IR text
