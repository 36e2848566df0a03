"""The input boundary: facts from Python hold values of their column's type or are an error
naming the relation, row and column (never a silent conversion); named columns -- a dict from
Python, a JSONL object row -- are matched by name, not by order; a byte order mark is not
data; a quoted CSV field may span lines; every bad ``facts=`` is an API error."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import nsl
from nsl.lang.diagnostics import CompileError, UsageError
from nsl.runtime import FactFileError, load_facts
from tests.helpers import nslc

TYPED = """input i(x: int)
input f(x: float)
input b(x: bool)
input s(x: str)
ii(x) :- i(x).
ff(x) :- f(x).
bb(x) :- b(x).
ss(x) :- s(x).
"""


FORMS = ("rows (a list of tuples), columns (a dict of them keyed by column name or 0..k-1) or "
         "a 2-D tensor or array (one row per fact)")


def run_typed(facts):
    return nsl.compile(TYPED).run(facts=facts, queries=("ii", "ff", "bb", "ss"))


def expect_fact_error(facts, message, program=TYPED):
    with pytest.raises(CompileError) as info:
        nsl.compile(program).run(facts=facts)
    [diagnostic] = info.value.diagnostics
    assert diagnostic.message == message
    assert "Traceback" not in info.value.render()


def row_error(rel, row, ty, shown):
    return f"row {row} of relation '{rel}': column 1 has type {ty}, but its value is {shown}"


@pytest.mark.parametrize("facts, message", [
    ({"i": [(1,), (1.7,), (1.2,)]}, row_error("i", 2, "int", "1.7")),
    ({"i": [(1.0,)]}, row_error("i", 1, "int", "1.0")),
    ({"i": [("3",)]}, row_error("i", 1, "int", "'3'")),
    ({"i": [(1,), (True,)]}, row_error("i", 2, "int", "True")),
    ({"i": [(None,)]}, row_error("i", 1, "int", "None")),
    ({"i": [(np.float64(2.0),)]}, row_error("i", 1, "int", repr(np.float64(2.0)))),
    ({"i": [(torch.tensor(1.5),)]}, row_error("i", 1, "int", "tensor(1.5000)")),
    ({"f": [(0.5,), (True,)]}, row_error("f", 2, "float", "True")),
    ({"f": [("1.5",)]}, row_error("f", 1, "float", "'1.5'")),
    ({"b": [(True,), (2,), (3,)]}, row_error("b", 2, "bool", "2")),
    ({"b": [(1,)]}, row_error("b", 1, "bool", "1")),
    ({"s": [("a",), (5,)]}, row_error("s", 2, "str", "5")),
    ({"s": [(None,)]}, row_error("s", 1, "str", "None")),
    ({"s": [(b"a",)]}, row_error("s", 1, "str", "b'a'")),
    ({"i": [(2 ** 63,)]}, "row 1 of relation 'i': column 1 has type int, but its value "
                          "9223372036854775808 does not fit in 64 bits"),
    ({"f": [(10 ** 400,)]}, "row 1 of relation 'f': column 1 has type float, but its value "
                            + repr(10 ** 400)[:57] + "... does not fit in a float"),
    ({"f": [(1.0,), (math.nan,)]}, "row 2 of relation 'f': column 1 has type float, but its value "
                                   "is nan; inputs must be finite"),
])
def test_a_python_value_of_another_type_is_an_error_at_its_row(facts, message):
    expect_fact_error(facts, message)


FLOAT_TENSOR = ("column 1 of relation 'i' has type int, but the tensor given for it holds {} "
                "values (an int column takes integer tensors only: convert with .long() or "
                ".round() to say how)")


@pytest.mark.parametrize("facts, message", [
    ({"i": torch.tensor([[1.7], [-0.5]])}, FLOAT_TENSOR.format("float32")),
    ({"i": torch.tensor([[1.0], [2.0]])}, FLOAT_TENSOR.format("float32")),  # whole, still float
    ({"i": np.array([1.5, 2.0])}, FLOAT_TENSOR.format("float64")),
    ({"i": {0: torch.tensor([True, False])}},
     "column 1 of relation 'i' has type int, but the tensor given for it holds bool values"),
    ({"b": torch.tensor([[1], [0]])},
     "column 1 of relation 'b' has type bool, but the tensor given for it holds int64 values"),
    ({"f": {0: torch.tensor([True])}},
     "column 1 of relation 'f' has type float, but the tensor given for it holds bool values"),
    ({"s": {0: torch.tensor([1, 2])}},
     "column 1 of relation 's' has type str, but the tensor given for it holds int64 values"),
    ({"f": torch.tensor([[1.0], [math.inf]])},
     "row 2 of relation 'f': column 1 has type float, but its value is inf; inputs must be finite"),
    ({"i": {0: np.array(["1", "2"])}}, row_error("i", 1, "int", "'1'")),
])
def test_a_tensor_or_array_of_another_dtype_is_an_error(facts, message):
    expect_fact_error(facts, message)


def test_values_of_the_column_type_are_accepted_in_every_form():
    result = run_typed({
        "i": [(1,), (np.int32(2),), (torch.tensor(3),), (np.uint8(4),)],
        "f": [(1,), (0.5,), (np.float32(0.25),), (np.int64(2),), (torch.tensor(4.0),)],
        "b": [(True,), (np.bool_(False),)],
        "s": [("a",), (np.str_("b"),)],
    })
    assert result["ii"] == [(1,), (2,), (3,), (4,)]
    assert result["ff"] == [(0.25,), (0.5,), (1.0,), (2.0,), (4.0,)]
    assert result["bb"] == [(False,), (True,)]
    assert result["ss"] == [("a",), ("b",)]
    result = run_typed({"i": torch.tensor([[5], [6]], dtype=torch.int32),
                        "f": np.array([1, 2], dtype=np.int16), "b": torch.tensor([[True]]),
                        "s": np.array(["x", "y"])})
    assert (result["ii"], result["ff"], result["bb"], result["ss"]) == (
        [(5,), (6,)], [(1.0,), (2.0,)], [(True,)], [("x",), ("y",)])


def test_a_bool_column_counts_two_values_only():
    src = "input b(x: bool)\nc(n) :- n = count(x: b(x)).\n"
    assert nsl.compile(src).run(facts={"b": [(True,), (False,), (True,)]})["c"] == [(2,)]

EDGE = "input edge(src: int, dst: int)\nout(a, b) :- edge(a, b).\n"

@pytest.mark.parametrize("facts", [
    {"edge": [torch.tensor([1, 2]), torch.tensor([2, 3])]},
    {"edge": (np.array([1, 2]), np.array([2, 3]))},
    {"edge": np.array([[1, 2], [2, 3]])},
    {"edge": torch.tensor([[1, 2], [2, 3]])},
    {"edge": [[1, 2], [2, 3]]},
    {"edge": ((a, a + 1) for a in (1, 2))},
    {"edge": [np.array([1, 2]), np.array([2, 3]), np.array([2, 3])]},  # three rows
])
def test_the_documented_forms_of_facts_are_read(facts):
    assert nsl.compile(EDGE).run(facts=facts)["out"] == [(1, 2), (2, 3)]


def test_a_one_column_relation_takes_a_1d_tensor_and_a_nullary_one_empty_rows():
    src = "input i(x: int)\ninput go\nii(x) :- i(x).\nyes :- go.\n"
    result = nsl.compile(src).run(facts={"i": torch.tensor([3, 4]), "go": [()]})
    assert (result["ii"], result["yes"]) == ([(3,), (4,)], [()])


@pytest.mark.parametrize("facts, message", [
    ({"edge": 5}, f"the facts of relation 'edge' must be {FORMS}, not int 5"),
    ({"go": True}, f"the facts of relation 'go' must be {FORMS}, not bool True"),
    ({"edge": None}, f"the facts of relation 'edge' must be {FORMS}, not NoneType None"),
    ({"edge": [(1, 2, 3)]}, "row 1 of relation 'edge' has 3 values, but the relation has arity 2"),
    ({"edge": [(1, 2), (1,)]}, "row 2 of relation 'edge' has 1 value, but the relation has arity 2"),
    ({"edge": torch.zeros(2, 2, 2, dtype=torch.int64)},
     "the facts of relation 'edge' are a tensor of shape [2, 2, 2]; a tensor of facts is 2-D, "
     "one row per fact"),
    ({"edge": [torch.zeros(2, 2, dtype=torch.int64), torch.zeros(2, dtype=torch.int64)]},
     "row 1 of relation 'edge' has 1 value, but the relation has arity 2"),
    ({"edge": {0: torch.zeros(2, 2, dtype=torch.int64), 1: [1, 2]}},
     "column 1 of relation 'edge' has type int, but the tensor given for it has shape [2, 2], "
     "not one value per row"),
    ({"edge": torch.tensor(5)}, "the facts of relation 'edge' are a tensor of shape []; a tensor "
                                "of facts is 2-D, one row per fact"),
])
def test_every_bad_facts_value_is_a_compile_error(facts, message):
    expect_fact_error(facts, message, EDGE + "input go\nyes :- go.\n")


@pytest.mark.parametrize("facts", [5, [("edge", [(1, 2)])], "edge"])
def test_facts_that_are_not_a_dict_are_a_usage_error(facts):
    with pytest.raises(UsageError, match="facts must be a dict from relation names"):
        nsl.compile(EDGE).run(facts=facts)


def test_facts_keyed_by_something_else_than_names_are_a_usage_error():
    with pytest.raises(UsageError, match="facts must be keyed by relation names, not 1"):
        nsl.compile(EDGE).run(facts={1: [(1, 2)]})

def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path

@pytest.mark.parametrize("name, text", [
    ("p.csv", "\ufeffcarol,7\r\ndave,8\r\n"),
    ("p.tsv", "\ufeffcarol\t7\ndave\t8\n"),
    ("p.jsonl", '\ufeff["carol", 7]\n["dave", 8]\n'),
])
def test_a_byte_order_mark_is_not_data(tmp_path, name, text):
    path = write(tmp_path, name, text)
    assert load_facts(path, ("str", "int")) == [("carol", 7), ("dave", 8)]


def test_a_byte_order_mark_does_not_shift_error_columns(tmp_path):
    path = write(tmp_path, "p.csv", "\ufeffx,abc\n")
    with pytest.raises(FactFileError) as err:
        load_facts(path, ("str", "int"))
    assert (err.value.line, err.value.col) == (1, 3)


def test_a_program_file_may_start_with_a_byte_order_mark(tmp_path):
    path = write(tmp_path, "p.nsl", "\ufeffp(1).\r\nq(x) :- p(x).\r\n")
    assert nsl.compile(str(path)).run()["q"] == [(1,)]
    proc = nslc("run", str(path))
    assert proc.returncode == 0 and "q(1)." in proc.stdout, proc.stderr

def test_a_quoted_csv_field_may_span_lines(tmp_path):
    path = write(tmp_path, "m.csv", '"multi\nline",1\n"a\r\nb ""q""\n",2\nplain,3\n')
    assert load_facts(path, ("str", "int")) == [("multi\nline", 1), ('a\r\nb "q"\n', 2),
                                                ("plain", 3)]


@pytest.mark.parametrize("text, line, col, message", [
    ('"multi\nline",1\nbad,x\n', 3, 5, "expected an int, found 'x'"),
    ('"multi\nline",x\n', 2, 7, "expected an int, found 'x'"),
    ('"multi\nline"z,1\n', 2, 6, "unexpected text after a quoted field"),
    ('ok,1\n"never\nclosed,2\n', 2, 1, "unterminated quoted field"),
    ('"a\n\nb",1,2\n', 3, 6, "expected 2 values, found 3"),
    ('"a\nb"\n', 2, 3, "expected 2 values, found 1"),
])
def test_positions_after_a_multi_line_field_are_right(tmp_path, text, line, col, message):
    path = write(tmp_path, "m.csv", text)
    with pytest.raises(FactFileError) as err:
        load_facts(path, ("str", "int"))
    assert (err.value.line, err.value.col, err.value.message) == (line, col, message)


def test_a_domain_error_after_a_multi_line_field_is_positioned(tmp_path):
    from nsl.runtime.io import Domain
    path = write(tmp_path, "m.csv", '"a\nb",1\n\n"c",  12\n')
    with pytest.raises(FactFileError) as err:
        load_facts(path, ("str", "int"), [None, Domain("Digit = 0..9", 0, 9)])
    assert (err.value.line, err.value.col) == (4, 7)


@pytest.mark.parametrize("ty, text", [
    ("float", "1_0"), ("int", "1_0"), ("float", "1__0.5"), ("float", "\u0661"),
    ("int", "\u0661"), ("float", "0x10"), ("float", "1e"), ("float", "."), ("float", "e5"),
])
def test_csv_numbers_are_written_plainly(tmp_path, ty, text):
    path = write(tmp_path, "n.csv", f"a,{text}\n")
    with pytest.raises(FactFileError, match=f"expected an? {ty}, found '{text}'") as err:
        load_facts(path, ("str", ty))
    assert (err.value.line, err.value.col) == (1, 3)


@pytest.mark.parametrize("text, value", [
    ("1", 1.0), ("-1.5", -1.5), ("+.5", 0.5), ("2.", 2.0), ("1e3", 1000.0), (" 2.5E-1 ", 0.25),
])
def test_plain_csv_floats_still_read(tmp_path, text, value):
    path = write(tmp_path, "n.csv", f"a,{text}\n")
    assert load_facts(path, ("str", "float")) == [("a", value)]


def test_a_value_may_hold_a_unicode_line_separator(tmp_path):
    path = write(tmp_path, "u.jsonl", '["a\u2028b", 1]\n')
    assert load_facts(path, ("str", "int")) == [("a\u2028b", 1)]
    path = write(tmp_path, "u.csv", "a\u2028b,1\nc\x0cd,2\n")
    assert load_facts(path, ("str", "int")) == [("a\u2028b", 1), ("c\x0cd", 2)]


# ---- named columns: matched by name, never by order

@pytest.mark.parametrize("columns", [
    {"dst": [2, 3], "src": [1, 2]},
    {"src": [1, 2], "dst": [2, 3]},
    {1: [2, 3], 0: [1, 2]},
    {"dst": torch.tensor([2, 3]), "src": np.array([1, 2])},
])
def test_python_columns_are_matched_by_name_or_position(columns):
    assert nsl.compile(EDGE).run(facts={"edge": columns})["out"] == [(1, 2), (2, 3)]


@pytest.mark.parametrize("columns, message", [
    ({"a": [1], "b": [2]}, "relation 'edge' has no column 'a' (its columns: src, dst)"),
    ({"src": [1]}, "column 'dst' of relation 'edge' is missing"),
    ({"src": [1], "dst": [2], "weight": [3]},
     "relation 'edge' has no column 'weight' (its columns: src, dst)"),
    ({"src": [1], 1: [2]}, "the columns of relation 'edge' are keyed by name and by position at once"),
    ({0: [1], 2: [2]}, "relation 'edge' has no column 2: its columns are keyed 0..1"),
    ({0: [1]}, "column 1 of relation 'edge' is missing"),
    ({"src": [1, 2], "dst": [2]}, "columns of relation 'edge' differ in length"),
])
def test_bad_python_column_keys_are_errors(columns, message):
    expect_fact_error({"edge": columns}, message, EDGE)


def test_an_undeclared_relation_takes_columns_by_position_only():
    src = "e(1, 2).\nout(a, b) :- e(a, b).\n"
    assert nsl.compile(src).run(facts={"e": {0: [3], 1: [4]}})["out"] == [(1, 2), (3, 4)]
    expect_fact_error({"e": {"a": [3], "b": [4]}}, "relation 'e' is not declared, so its columns "
                      "have no names: key them by position, 0..1", src)


def test_a_nullary_relation_has_no_named_columns():
    expect_fact_error({"go": {"x": [1]}}, "relation 'go' is nullary: it has no columns",
                      EDGE + "input go\nyes :- go.\n")

def test_jsonl_object_rows_are_matched_by_key_name(tmp_path):
    path = write(tmp_path, "e.jsonl", '{"dst": 2, "src": 1}\n{"src": 3, "dst": 4}\n[5, 6]\n')
    assert load_facts(path, ("int", "int"), names=("src", "dst")) == [(1, 2), (3, 4), (5, 6)]
    src = f'input edge(src: int, dst: int) from "{path}"\nout(a, b) :- edge(a, b).\n'
    assert nsl.compile(src).run()["out"] == [(1, 2), (3, 4), (5, 6)]
    assert nsl.compile(EDGE).run(facts={"edge": str(path)})["out"] == [(1, 2), (3, 4), (5, 6)]


@pytest.mark.parametrize("line, col, message", [
    ('{"src": 1, "to": 2}', 12, 'unknown column "to" (the columns are src, dst)'),
    ('{"src": 1}', 1, 'missing column "dst" (the columns are src, dst)'),
    ('  {}', 3, 'missing column "src" (the columns are src, dst)'),
    ('{"src": 1, "src": 2, "dst": 3}', 12, 'duplicate key "src"'),
    ('{"src": 1, "dst": "2"}', 19, 'expected int, found "2"'),
])
def test_bad_jsonl_object_rows_are_errors_at_the_key_or_object(tmp_path, line, col, message):
    path = write(tmp_path, "e.jsonl", "[0, 1]\n" + line + "\n")
    with pytest.raises(FactFileError) as err:
        load_facts(path, ("int", "int"), names=("src", "dst"))
    assert (err.value.line, err.value.col, err.value.message) == (2, col, message)


def test_an_object_row_for_a_relation_without_column_names_is_an_error(tmp_path):
    path = write(tmp_path, "e.jsonl", '{"a": 1, "b": 2}\n')
    src = "e(0, 0).\nout(a, b) :- e(a, b).\n"
    with pytest.raises(CompileError, match="an object row needs the relation's column names"):
        nsl.compile(src).run(facts={"e": str(path)})


def test_jsonl_object_rows_after_a_byte_order_mark(tmp_path):
    path = write(tmp_path, "p.jsonl", '\ufeff{"name": "carol", "age": 7}\n{"age": 8, "name": "dave"}\n')
    assert load_facts(path, ("str", "int"), names=("name", "age")) == [("carol", 7), ("dave", 8)]


TENSOR_PROGRAM = "input v(id: int, x: tensor[3])\nw(id, x) :- v(id, x).\n"


@pytest.mark.parametrize("vectors", [
    torch.tensor([[1, 2, 3]]),                          # int64
    torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64),
    np.array([[1.0, 2.0, 3.0]]),                        # float64 array
    torch.tensor([[True, True, False]]),
    [[1, 2, 3]],                                        # rows of nested lists
])
def test_a_tensor_column_holds_float32_whatever_numeric_form_it_was_given_in(vectors):
    """A whole tensor for a tensor-typed column is converted as the row-by-row form is:
    every form of the same numbers gives the same float32 values."""
    facts = ({"v": {0: torch.tensor([7]), 1: vectors}} if not isinstance(vectors, list)
             else {"v": [(7, vectors[0])]})
    [(key, x)] = nsl.compile(TENSOR_PROGRAM).run(facts=facts, queries=("w",))["w"]
    assert key == 7 and x.dtype == torch.float32
    assert x.tolist() == [float(v) for v in np.asarray(vectors, dtype=np.float64)[0]]


@pytest.mark.parametrize("vectors, message", [
    ({0: torch.tensor([7]), 1: torch.tensor([[1j, 2, 3]])},
     "column 2 of relation 'v' has type tensor[3], but the tensor given for it holds "
     "complex64 values"),
    ({0: torch.tensor([7, 8]), 1: torch.tensor([[1.0, 2, 3], [1e300, 0, 0]], dtype=torch.float64)},
     "row 2 of relation 'v': column 2 has type tensor[3], but its value holds 1e+300, "
     "past float32's range"),
    ([(7, [1.0, -1e39, 0.0])],
     "row 1 of relation 'v': column 2 has type tensor[3], but its value holds -1e+39, "
     "past float32's range"),
])
def test_a_tensor_column_refuses_values_float32_cannot_hold(vectors, message):
    expect_fact_error({"v": vectors}, message, program=TENSOR_PROGRAM)
