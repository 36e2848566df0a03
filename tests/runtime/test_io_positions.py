"""Carets in facts-file errors sit on the offending text, and types read as in a program."""
import pytest

from nsl.runtime import FactFileError, load_facts


def error_at(tmp_path, name, text, types):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FactFileError) as info:
        load_facts(path, types)
    return info.value.line, info.value.col, info.value.message


def test_text_after_a_jsonl_row_is_reported_where_it_starts(tmp_path):
    assert error_at(tmp_path, "p.jsonl", "[1, 2] [3, 4]\n", ("int", "int")) == (
        1, 8, "unexpected text after the JSON value")
    assert error_at(tmp_path, "p.jsonl", "[1, 2]x\n", ("int", "int"))[:2] == (1, 7)


@pytest.mark.parametrize("text, col", [("1,\t x\n", 5), ("1,  2.5\n", 5), ("1,x\n", 3),
                                       ('1,"  x"\n', 3)])
def test_a_csv_conversion_error_points_past_the_leading_spaces(tmp_path, text, col):
    line, at, message = error_at(tmp_path, "p.csv", text, ("int", "int"))
    assert (line, at) == (1, col) and message.startswith("expected an int")


def test_tensor_types_are_written_as_in_a_program(tmp_path):
    _, _, message = error_at(tmp_path, "t.jsonl", "[1, [[0.5, 0.25]]]\n", ("int", "tensor[2,2]"))
    assert message == "expected tensor[2, 2], found a list of 1 list (dimension 1 must have 2)"
    _, _, message = error_at(tmp_path, "t.csv", "1,2\n", ("int", "tensor[]"))
    assert message == "a tensor column needs a JSONL facts file"


def test_tensor_types_from_python_are_written_as_in_a_program():
    import nsl
    with pytest.raises(nsl.CompileError) as info:
        nsl.compile("input t(k: int, v: tensor[2, 2])\nq(k) :- t(k, _).\n").run(
            facts={"t": [(1, [1.0, 2.0])]})
    assert "tensor[2, 2]" in str(info.value) and "tensor[2,2]" not in str(info.value)
