"""The column-at-a-time fast path of load_facts agrees with the field-by-field reader on
every file: the same rows, or (it steps aside) the same located error."""
import random

import pytest

from nsl.runtime import FactFileError, load_facts
from nsl.runtime import io as io_module
from nsl.runtime import io_fast

PIECES = ["1", "0", "7", "-", "+", ".", "e", "E", "5", "_", " ", "\t", ",", "\u00a0", "\u2028",
          "true", "FALSE", "fal\u017fe", "nan", "inf", "x", "\u0661", "9223372036854775808",
          "1e400", '"', "\\u00e9", "\\ud800", "[", "]", "{", "}", "null", '"a"']
TYPES = ["int", "float", "bool", "str"]


def slow(path, types, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(io_module, "delimited_rows", lambda *a: None)
        m.setattr(io_module, "jsonl_rows", lambda *a: None)
        return outcome(path, types)


def outcome(path, types):
    try:
        rows = load_facts(path, types)
    except FactFileError as e:
        return ("error", e.line, e.col, e.message)
    return ("rows", rows, [tuple(map(type, r)) for r in rows])


def random_field(rng):
    return "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 3)))


def random_value(rng, ty):
    if rng.random() < 0.1:
        return random_field(rng)
    if ty == "int":
        return str(rng.choice([0, -5, 12, 2 ** 63 - 1, -(2 ** 63), 2 ** 63, rng.randrange(-99, 99)]))
    if ty == "float":
        return rng.choice(["1.5", ".5", "2.", "-0.0", "1e3", "1e-400", " 3 ", "7", "1_0"])
    if ty == "bool":
        return rng.choice(["true", "False", "1", "0", " TRUE ", "yes"])
    return rng.choice(["a", "", " ", "\u00a0b", "x y", "\u2028"])


@pytest.mark.parametrize("seed", range(300))
def test_csv_and_tsv_fast_path_agrees(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    types = tuple(rng.choice(TYPES) for _ in range(rng.randrange(1, 4)))
    sep, ext = rng.choice([(",", "csv"), ("\t", "tsv")])
    lines = []
    for _ in range(rng.randrange(0, 6)):
        values = [random_value(rng, ty) for ty in types]
        if rng.random() < 0.1:
            values = values[:-1] if rng.random() < 0.5 else values + ["1"]
        lines.append(sep.join(values))
        if rng.random() < 0.2:
            lines.append("")
    text = rng.choice(["\n", "\r\n", "\r"]).join(lines) + rng.choice(["", "\n"])
    path = tmp_path / f"f.{ext}"
    path.write_bytes(text.encode("utf-8"))
    assert outcome(path, types) == slow(path, types, monkeypatch), repr(text)


def random_json(rng, ty):
    if rng.random() < 0.15:
        return rng.choice(["true", "1.0", "1e400", "NaN", "\"\\ud800\"", "null", "[1]",
                           "18446744073709551616", "{}", "\"x\"", "-Infinity"])
    if ty == "int":
        return str(rng.choice([0, -5, 2 ** 63 - 1, -(2 ** 63), rng.randrange(-99, 99)]))
    if ty == "float":
        return rng.choice(["1.5", "-0.0", "1e3", "7", "1e-400", "0"])
    if ty == "bool":
        return rng.choice(["true", "false"])
    return rng.choice(['"a"', '""', '"\\u00e9"', '"\\u0000"', '" "'])


@pytest.mark.parametrize("seed", range(300))
def test_jsonl_fast_path_agrees(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    types = tuple(rng.choice(TYPES) for _ in range(rng.randrange(0, 4)))
    lines = []
    for _ in range(rng.randrange(0, 6)):
        values = [random_json(rng, ty) for ty in types]
        if rng.random() < 0.1:
            values = values[:-1]
        line = "[" + ", ".join(values) + "]"
        if rng.random() < 0.1:
            line = rng.choice([line + " [1]", line + ",", " " + line + " ", "{}", "  ", line[:-1]])
        lines.append(line)
    text = "\n".join(lines) + rng.choice(["", "\n"])
    path = tmp_path / "f.jsonl"
    path.write_bytes(text.encode("utf-8"))
    assert outcome(path, types) == slow(path, types, monkeypatch), repr(text)


def test_the_fast_path_is_taken_for_plain_files(tmp_path):
    (tmp_path / "p.csv").write_text("1,a,0.5,true\n\n-2, b ,3,0\n")
    assert io_fast.delimited_rows((tmp_path / "p.csv").read_text(), ("int", "str", "float", "bool"),
                                  ",") == [(1, "a", 0.5, True), (-2, " b ", 3.0, False)]
    assert io_fast.jsonl_rows('[1, "a", 2]\n\n[2, "b", 0.5]\n', ("int", "str", "float")) == [
        (1, "a", 2.0), (2, "b", 0.5)]
