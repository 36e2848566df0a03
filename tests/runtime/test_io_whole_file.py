"""A facts file that cannot be read at all -- a directory, an extension that is not one of
the three, CSV/TSV for a nullary relation, an unreadable file -- is one error for the whole
file (line 0) whose ``problem`` completes "fact file 'PATH' ", the way a missing file is
named; the same extensions everywhere, none read silently as CSV."""
import os

import pytest

from nsl.lang.check.declarations import FACT_FILE_SUFFIXES as FROM_SUFFIXES
from nsl.runtime import FactFileError, load_facts
from nsl.runtime.io import FACT_FILE_SUFFIXES, fact_file_problem


def test_from_and_files_given_at_run_take_the_same_extensions():
    assert FACT_FILE_SUFFIXES == FROM_SUFFIXES


def whole_file_error(path, types=("int",)):
    with pytest.raises(FactFileError) as info:
        load_facts(path, types)
    assert (info.value.line, info.value.col) == (0, 0)
    assert info.value.message == f"fact file '{path}' {info.value.problem}"
    return info.value.problem


@pytest.mark.parametrize("name", ["x.txt", "x.json", "x.ndjson", "x.tab", "x.npy", "csv"])
def test_an_unknown_extension_is_an_error_not_csv(tmp_path, name):
    path = tmp_path / name
    path.write_text("1\n")
    assert whole_file_error(path) == "must be .csv, .tsv or .jsonl (its extension says how it is read)"


@pytest.mark.parametrize("name", ["X.CSV", "x.Tsv", "x.JSONL"])
def test_extensions_are_matched_without_case(tmp_path, name):
    path = tmp_path / name
    path.write_text("[1]\n" if name.lower().endswith("jsonl") else "1\n")
    assert load_facts(path, ("int",)) == [(1,)]


def test_a_directory_is_an_error_for_the_whole_file(tmp_path):
    (tmp_path / "d.csv").mkdir()
    assert whole_file_error(tmp_path / "d.csv") == "is a directory, not a file"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_an_error_for_the_whole_file(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("1\n")
    path.chmod(0)
    assert whole_file_error(path) == "cannot be read: Permission denied"


@pytest.mark.parametrize("text", ["", "\n", "x\n"])
@pytest.mark.parametrize("ext", ["csv", "tsv"])
def test_a_nullary_relation_needs_jsonl(tmp_path, text, ext):
    path = tmp_path / f"f.{ext}"
    path.write_text(text)
    assert whole_file_error(path, ()).startswith("cannot hold the facts of a nullary relation")
    assert "use a .jsonl file with a line [] for the fact" in fact_file_problem(path, ())


def test_a_nullary_relation_from_jsonl(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text("[]\n")
    assert load_facts(path, ()) == [()]
