"""Only an empty line of a CSV/TSV file holds no fact: a line of whitespace is a row."""
import pytest

from nsl.runtime import FactFileError, load_facts


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


def test_tsv_line_of_one_tab_is_a_row_of_two_empty_strings(tmp_path):
    path = _write(tmp_path, "t.tsv", "x\ty\n\t\n\nz\tw\n")
    assert load_facts(path, ("str", "str")) == [("x", "y"), ("", ""), ("z", "w")]


def test_tsv_line_of_one_tab_in_int_columns_is_an_error(tmp_path):
    path = _write(tmp_path, "t.tsv", "1\t2\n\t\n")
    with pytest.raises(FactFileError) as e:
        load_facts(path, ("int", "int"))
    assert (e.value.line, e.value.col) == (2, 1) and "expected an int" in e.value.message


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u3000", "\x0c", "\u2028", "  \t "])
def test_csv_whitespace_value_is_data(tmp_path, space):
    path = _write(tmp_path, "n.csv", f"x\n{space}\n\n")
    assert load_facts(path, ("str",)) == [("x",), (space,)]


def test_jsonl_lines_of_spaces_hold_no_row(tmp_path):
    path = _write(tmp_path, "n.jsonl", "[1]\n  \n\t\n\n[2]\n")
    assert load_facts(path, ("int",)) == [(1,), (2,)]
