"""Inputs hold finite numbers only: NaN breaks ordering, dedup and aggregation, so NaN and
infinities are rejected in float and tensor columns, from files (positioned) and from Python."""
import math

import pytest
import torch

import nsl
from nsl.runtime import FactFileError, load_facts


@pytest.mark.parametrize("name,text,types,col,found", [
    ("f.jsonl", "[1, NaN]\n", ("int", "float"), 5, "found NaN"),
    ("f.jsonl", "[1, -Infinity]\n", ("int", "float"), 5, "found -Infinity"),
    ("f.jsonl", "[1, 1e400]\n", ("int", "float"), 5, "found a number too large for a float"),
    ("f.jsonl", "[1, " + "9" * 400 + "]\n", ("int", "float"), 5, "found a number too large"),
    ("f.jsonl", "[1, [1, Infinity]]\n", ("int", "tensor[2]"), 9, "found Infinity"),
    ("f.jsonl", "[1, [[1], [NaN]]]\n", ("int", "tensor[]"), 12, "found NaN"),
    # tensors hold float32: a finite float64 past its range is refused at the element
    ("f.jsonl", "[1, [1, -1e39]]\n", ("int", "tensor[2]"), 9, "float32's range in tensor[2]"),
    ("f.jsonl", "[1, [[1e39]]]\n", ("int", "tensor[]"), 7, "float32's range in tensor"),
    ("f.csv", "1,nan\n", ("int", "float"), 3, "found 'nan'"),
    ("f.tsv", "1\t-inf\n", ("int", "float"), 3, "found '-inf'"),
])
def test_files_reject_non_finite_numbers(tmp_path, name, text, types, col, found):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FactFileError) as err:
        load_facts(path, types)
    assert (err.value.line, err.value.col) == (1, col) and found in err.value.message


def test_nan_in_a_str_or_int_column_is_a_type_error(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text("[NaN]\n")
    with pytest.raises(FactFileError, match="expected int, found NaN"):
        load_facts(path, ("int",))


PROGRAM = "input v(id: int, x: float, t: tensor[2])\nok(i) :- v(i, _, _)."


@pytest.mark.parametrize("row,what", [
    ((2, math.nan, [1.0, 2.0]), "column 2 has type float, but its value is nan"),
    ((2, 1.0, [math.inf, 2.0]), "column 3 has type tensor[2], but its value is a tensor holding an infinity"),
])
def test_python_inputs_reject_non_finite_numbers(row, what):
    with pytest.raises(nsl.CompileError, match="row 2 of relation 'v'") as err:
        nsl.compile(PROGRAM).run(facts={"v": [(1, 0.5, [1.0, 2.0]), row]})
    assert what in str(err.value)


def test_finite_python_inputs_run():
    facts = {"v": {0: torch.tensor([1, 2]), 1: torch.tensor([0.5, -1e300], dtype=torch.float64),
                   2: torch.zeros(2, 2)}}
    assert nsl.compile(PROGRAM).run(facts=facts).rows("ok") == [(1,), (2,)]
