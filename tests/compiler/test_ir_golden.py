"""Golden IR texts: each must parse, verify clean, and print back byte for byte."""
from __future__ import annotations

import pathlib

import pytest

from nsl.compiler.ir_parser import parse_module
from nsl.compiler.ir_printer import print_module
from nsl.compiler.verify import verify_module

GOLDEN = pathlib.Path(__file__).parent / "golden" / "ir"
FILES = sorted(GOLDEN.glob("*.ir"))


def test_there_are_golden_files():
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden_ir_parses_verifies_and_prints_back(path):
    text = path.read_text(encoding="utf-8")
    module = parse_module(text, str(path))
    assert [d.message for d in verify_module(module)] == []
    assert print_module(module) == text


def test_golden_files_cover_every_op():
    text = "".join(p.read_text(encoding="utf-8") for p in FILES)
    for word in ("join", "antijoin", "filter", "map", "aggregate", "neural", "knn", "weight",
                 "check", "insert", "delta", "recursive", "loop rule", "} or {", "objective", "query",
                 "in group", " from ", "nan", "-inf", "()"):
        assert word in text, word
    for op in ("count", "sum", "min", "max", "argmin", "argmax", "exists", "not_exists"):
        assert f"= {op}(" in text, op
