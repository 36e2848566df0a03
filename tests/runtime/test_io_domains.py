"""Range and enum types on input columns: facts files and Python rows are checked a whole
column at a time, and the first value outside its type is reported where it is."""
import pytest
import torch

import nsl
from nsl.runtime import FactFileError, load_facts
from nsl.runtime.io import Domain

DIGIT = Domain("Digit = 0..9", 0, 9)
COLOR = Domain('Color = {"red", "green", "blue"}', values=("red", "green", "blue"))
HALF = Domain("Half = {0.5, 1.0}", values=(0.5, 1.0))


@pytest.mark.parametrize("domain,column,first", [
    (DIGIT, [0, 9, 3], None),
    (DIGIT, [0, 10, -1], 1),
    (DIGIT, [-1], 0),
    (COLOR, ["red", "blue"], None),
    (COLOR, ["red", "re", "purple"], 1),       # no common string width cuts "red" to "re"
    (COLOR, ["red", "greenish"], 1),
    (HALF, [0.5, 1.0, 1.5], 2),
    (HALF, [float("nan")], 0),
    (DIGIT, torch.tensor([1, 2, 30]), 2),
])
def test_first_outside(domain, column, first):
    assert domain.first_outside(column) == first


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("name,text,line,col,message", [
    ("d.csv", "1,0\n\n2, 12\n", 3, 4, "12 is not a value of type Digit = 0..9"),
    ("d.tsv", "1\t3\n2\t-4\n", 2, 3, "-4 is not a value of type Digit = 0..9"),
    ("d.jsonl", '[1, 3]\n{"id": 2, "d": 10}\n', 2, 16, "10 is not a value of type Digit = 0..9"),
])
def test_range_column_of_a_file(tmp_path, name, text, line, col, message):
    path = _write(tmp_path, name, text)
    with pytest.raises(FactFileError) as err:
        load_facts(path, ("int", "int"), (None, DIGIT))
    assert (err.value.line, err.value.col, err.value.message) == (line, col, message)


def test_enum_column_of_a_file(tmp_path):
    path = _write(tmp_path, "c.csv", 'red,1\n"blue",2\npurple,3\n')
    with pytest.raises(FactFileError) as err:
        load_facts(path, ("str", "int"), (COLOR, None))
    assert (err.value.line, err.value.col) == (3, 1)
    assert err.value.message == '"purple" is not a value of type Color = {"red", "green", "blue"}'


def test_values_inside_their_types_load(tmp_path):
    path = _write(tmp_path, "ok.jsonl", '["red", 0, 0.5]\n["green", 9, 1]\n')
    assert load_facts(path, ("str", "int", "float"), (COLOR, DIGIT, HALF)) == \
        [("red", 0, 0.5), ("green", 9, 1.0)]


PROGRAM = """
type Digit = 0..9
input v(id: int, d: Digit)
ok(i) :- v(i, _).
"""


@pytest.mark.parametrize("facts", [
    [(1, 3), (2, 10)],
    iter([(1, 3), (2, 10)]),
    {0: [1, 2], 1: [3, 10]},
    torch.tensor([[1, 3], [2, 10]]),
])
def test_python_rows_are_checked(facts):
    with pytest.raises(nsl.CompileError) as err:
        nsl.compile(PROGRAM).run(facts={"v": facts})
    assert "row 2 of relation 'v': column 2 has type Digit = 0..9, but its value is 10" in str(err.value)


def test_python_rows_inside_the_type_run():
    assert nsl.compile(PROGRAM).run(facts={"v": iter([(1, 3), (2, 9)])}).rows("ok") == [(1,), (2,)]
