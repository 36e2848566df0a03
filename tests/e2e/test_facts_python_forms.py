"""Facts from Python: one form means one thing whatever the data's length, and every value a
file or a program would refuse is refused from Python too."""
import numpy as np
import pytest
import torch

import nsl

EDGE = "input edge(a: int, b: int)\npath(a, b) :- edge(a, b).\n"


@pytest.mark.parametrize("rows", [[[1, 2]], [[1, 2], [3, 4]], [[1, 2], [3, 4], [5, 6]]])
@pytest.mark.parametrize("make", [lambda r: list(np.array(r)), lambda r: list(torch.tensor(r)),
                                  lambda r: tuple(np.array(r))])
def test_a_list_of_1d_arrays_is_rows_whatever_its_length(rows, make):
    result = nsl.compile(EDGE).run(facts={"edge": make(rows)})
    assert result["path"] == [tuple(r) for r in rows]


def test_columns_are_a_dict():
    cols = {"a": np.array([1, 2]), "b": np.array([3, 4])}
    assert nsl.compile(EDGE).run(facts={"edge": cols})["path"] == [(1, 3), (2, 4)]
    cols = {0: torch.tensor([1, 2]), 1: torch.tensor([3, 4])}
    assert nsl.compile(EDGE).run(facts={"edge": cols})["path"] == [(1, 3), (2, 4)]


NULLARY = "input done\ninput rain\nok :- done, rain.\n"


@pytest.mark.parametrize("done", [np.zeros((1, 0)), torch.zeros(1, 0), np.zeros((3, 0)), [()]])
def test_a_nullary_relation_takes_a_2d_array_with_one_row_per_fact(done):
    assert nsl.compile(NULLARY).run(facts={"done": done, "rain": [()]})["ok"] == [()]


def test_a_nullary_relation_with_no_rows_is_false():
    assert nsl.compile(NULLARY).run(facts={"done": np.zeros((0, 0)), "rain": [()]})["ok"] == []


def error_of(program, facts):
    with pytest.raises(nsl.CompileError) as info:
        nsl.compile(program).run(facts=facts)
    assert "Traceback" not in info.value.render()
    [diagnostic] = info.value.diagnostics
    return diagnostic.message


@pytest.mark.parametrize("value", [torch.tensor([1 + 1j, 0, 0, 0]), np.array([1j, 0, 0, 0])])
def test_a_complex_tensor_value_is_an_error(value, recwarn):
    message = error_of("input t(k: int, v: tensor[4])\nq(k) :- t(k, _).\n", {"t": [(1, value)]})
    assert message == ("row 1 of relation 't': column 2 has type tensor[4], but its value holds "
                       "complex values, which have no order")
    assert not [w for w in recwarn if "complex" in str(w.message)]


def test_a_row_given_as_a_dict_says_so():
    message = error_of(EDGE, {"edge": [{"a": 1, "b": 2}]})
    assert message.startswith("row 1 of relation 'edge' is a dict; a row is a tuple or list")


@pytest.mark.parametrize("text", ["\ud800", "ok\udfffx"])
def test_a_lone_surrogate_is_refused_as_from_jsonl(text):
    message = error_of("input s(x: str)\nt(x) :- s(x).\n", {"s": [("fine",), (text,)]})
    assert message.startswith("row 2 of relation 's': column 1 has type str, but its value is ")
    assert "lone surrogate" in message
