"""Facts files named by `from` and by --facts: the same extensions, and a file that cannot be
read at all (a directory) is an error at the declaration that names it, as a missing one is."""
from tests.helpers import nslc
import pytest


def write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name", ["x.txt", "x.ndjson", "x.json", "x.tab"])
def test_facts_option_refuses_an_extension_from_refuses(tmp_path, name):
    program = write(tmp_path, "t.nsl", "input p(a: int)\nq(a) :- p(a).\n")
    write(tmp_path, name, "1\n")
    out = nslc("run", program, "--facts", f"p={name}", cwd=str(tmp_path))
    assert out.returncode == 1 and "must be .csv, .tsv or .jsonl" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr
    write(tmp_path, "f.nsl", f'input p(a: int) from "{name}"\nq(a) :- p(a).\n')
    out = nslc("run", "f.nsl", cwd=str(tmp_path))
    assert out.returncode == 1 and "must be .csv, .tsv or .jsonl" in out.stderr, out.stderr


def test_a_directory_in_from_is_an_error_at_the_declaration(tmp_path):
    (tmp_path / "sub" / "d.csv").mkdir(parents=True)
    write(tmp_path / "sub", "dd.nsl", 'input p(a: int, b: str) from "d.csv"\nq(a, b) :- p(a, b).\n')
    out = nslc("run", "sub/dd.nsl", cwd=str(tmp_path))
    assert out.returncode == 1
    assert out.stderr.splitlines()[:3] == [
        "sub/dd.nsl:1:1: error: fact file 'sub/d.csv' is a directory, not a file",
        'input p(a: int, b: str) from "d.csv"',
        "^" * len('input p(a: int, b: str) from "d.csv"')], out.stderr


def test_a_nullary_input_from_csv_is_an_error_naming_jsonl(tmp_path):
    write(tmp_path, "n.nsl", 'input flag from "f.csv"\nq :- flag.\n')
    write(tmp_path, "f.csv", "\n")
    for command in ("check", "run"):  # declared: a compile error at the declaration
        out = nslc(command, "n.nsl", cwd=str(tmp_path))
        assert out.returncode == 1 and out.stderr.startswith(
            "n.nsl:1:1: error: a nullary relation can be read only from a .jsonl facts file"), out.stderr
    write(tmp_path, "n.nsl", 'input flag\nq :- flag.\n')
    out = nslc("run", "n.nsl", "--facts", "flag=f.csv", cwd=str(tmp_path))  # given: when read
    assert out.returncode == 1 and "use a .jsonl file with a line []" in out.stderr, out.stderr
    write(tmp_path, "n.nsl", 'input flag from "f.jsonl"\nq :- flag.\n')
    write(tmp_path, "f.jsonl", "[]\n")
    out = nslc("run", "n.nsl", cwd=str(tmp_path))
    assert out.returncode == 0 and "q." in out.stdout, out.stderr
