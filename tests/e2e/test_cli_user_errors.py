"""Errors a user can cause, from every command that meets them: `file:line:col: error:`, the
source line and a caret, a non-zero exit -- never an internal error (the fuzzing audit's
findings: bad string escapes, lone surrogates, fmt, unwritable outputs, odd line breaks,
undecodable facts files, NUL in paths)."""
from __future__ import annotations

import json
import os
import pathlib
import stat

import pytest

from tests.helpers import nslc


def write(tmp_path: pathlib.Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text, encoding="utf-8", newline="")
    return name


def assert_positioned(proc, where: str, message: str, line: str, caret: str) -> None:
    """Exit 1; stderr is ``where: error: message...``, the source line, the caret line."""
    assert proc.returncode == 1, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    first, shown, under = proc.stderr.split("\n")[:3]
    assert first.startswith(f"{where}: error: {message}"), proc.stderr
    assert (shown, under) == (line, caret), proc.stderr


@pytest.mark.parametrize("command", [["check"], ["run"], ["run", "--json"], ["compile"],
                                     ["compile", "--emit", "ast"], ["fmt"]])
@pytest.mark.parametrize("literal, width", [(r'"\N{bogus}"', 9), (r'"\x4"', 3), (r'"\u12"', 4),
                                            (r'"\U00110000"', 10), (r'"\ud800"', 6)])
def test_a_bad_escape_is_an_error_at_the_escape_from_every_command(tmp_path, command, literal, width):
    source = f"p({literal})."
    proc = nslc(*command, write(tmp_path, "s.nsl", source + "\n"), cwd=str(tmp_path))
    assert_positioned(proc, "s.nsl:1:4", "invalid escape", source, "   " + "^" * width)
    assert proc.stdout == ""


def test_a_raw_nul_in_a_string_is_an_error_at_it(tmp_path):
    source = 'input p(a: int) from "a\0b.csv"'
    proc = nslc("check", write(tmp_path, "s.nsl", source + "\n"), cwd=str(tmp_path))
    assert_positioned(proc, "s.nsl:1:24", "a string cannot hold a raw NUL", source, " " * 23 + "^")


def test_valid_escapes_read_as_documented(tmp_path):
    source = r'p("\\ \" \' \n\r\t\a\b\f\v \0 \101 \x41 \u00e9 \U0001F600 \N{BULLET}").' + "\n"
    proc = nslc("run", "--json", write(tmp_path, "s.nsl", source), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    value = json.loads(proc.stdout)["relations"]["p"][0]["args"][0]
    assert value == "\\ \" ' \n\r\t\a\b\f\v \0 A A \u00e9 \U0001F600 \u2022"


def test_a_lone_surrogate_in_a_jsonl_fact_is_an_error_there_and_nothing_is_printed(tmp_path):
    write(tmp_path, "surr.jsonl", '[1, "ok"]\n[2, "\\ud800"]\n')
    program = write(tmp_path, "p.nsl", 'input r(a: int, s: str) from "surr.jsonl"\nq(s) :- r(_, s).\n')
    for options in ((), ("--json",)):
        proc = nslc("run", *options, program, cwd=str(tmp_path))
        assert_positioned(proc, "surr.jsonl:2:5", "invalid string: \\ud800 is a lone surrogate",
                          '[2, "\\ud800"]', "    ^")
        assert proc.stdout == ""
    write(tmp_path, "surr.jsonl", '{"a": 1, "s\\udfff": "x"}\n')  # a key is a string too
    proc = nslc("run", program, cwd=str(tmp_path))
    assert proc.returncode == 1 and proc.stderr.startswith("surr.jsonl:1:10: error: invalid string"), proc.stderr


def test_fmt_shows_the_source_line_and_caret(tmp_path):
    proc = nslc("fmt", write(tmp_path, "f.nsl", "p(_, .5).\n"), cwd=str(tmp_path))
    assert_positioned(proc, "f.nsl:1:6", "unexpected '.'", "p(_, .5).", "     ^")


@pytest.mark.parametrize("source, where, message, caret", [
    ("v(1e400).", "1:3", "this float is too large for 64 bits", "  ^^^^^"),
    ("v(-1e400).", "1:3", "this float is too large for 64 bits", "  ^^^^^^"),
    ("q(x) :- q(x), x < 1e999.", "1:19", "this float is too large for 64 bits", " " * 18 + "^^^^^"),
    ("1e400 :: p(1).", "1:1", "probability inf is not between 0 and 1", "^"),
])
def test_fmt_reports_a_float_past_64_bits_as_check_does(tmp_path, source, where, message, caret):
    name = write(tmp_path, "f.nsl", source + "\n")
    for command in ("check", "fmt"):
        proc = nslc(command, name, cwd=str(tmp_path))
        assert_positioned(proc, f"f.nsl:{where}", message, source, caret)


def test_compile_output_that_cannot_be_written_is_a_one_line_error(tmp_path):
    name = write(tmp_path, "ok.nsl", "edge(1, 2).\n")
    (tmp_path / "d").mkdir()
    for out, reason in (("d", "Is a directory"), ("no/such/x", "No such file or directory")):
        proc = nslc("compile", name, "-o", out, cwd=str(tmp_path))
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == f"nslc: error: cannot write '{out}': {reason}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "ok.nsl"]  # no temporary file left
    assert list((tmp_path / "d").iterdir()) == []


def test_compile_output_and_fmt_in_place_keep_ordinary_permissions(tmp_path):
    name = write(tmp_path, "ok.nsl", "edge(1,2).\n")
    os.chmod(tmp_path / name, 0o640)
    assert nslc("fmt", "-i", name, cwd=str(tmp_path)).returncode == 0
    assert (tmp_path / name).read_text() == "edge(1, 2).\n"
    assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o640  # not mkstemp's 0600
    assert nslc("compile", name, "-o", "out.ir", cwd=str(tmp_path)).returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "out.ir").st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c"])
def test_line_separators_in_a_string_or_comment_do_not_shift_the_shown_line(tmp_path, separator):
    source = f'// a comment {separator} here\np("x{separator}y"). p("z").\nq(x) :- p(x), zz(x).\n'
    proc = nslc("check", write(tmp_path, "l.nsl", source), cwd=str(tmp_path))
    assert_positioned(proc, "l.nsl:3:15", "unknown relation 'zz'", "q(x) :- p(x), zz(x).", " " * 14 + "^^^^^")


def test_a_line_separator_inside_a_csv_field_does_not_shift_the_shown_line(tmp_path):
    write(tmp_path, "r.csv", "1,x\u2028y,3\n1,y,13\n")
    program = write(tmp_path, "p.nsl", 'type D = 0..9\ninput r(a: int, s: str, d: D) from "r.csv"\n'
                                       "q(a, d) :- r(a, _, d).\n")
    proc = nslc("run", program, cwd=str(tmp_path))
    assert_positioned(proc, "r.csv:2:5", "13 is not a value of type D", "1,y,13", "    ^")


@pytest.mark.parametrize("data, where, line, caret", [
    (b"1,ok\n2,b\xffd\n", "2:4", "2,b\ufffdd", "   ^"),
    (b"\xef\xbb\xbf1,\xe9t\n", "1:3", "1,\ufffdt", "  ^"),  # a byte order mark is no column
    (b"1,a\r\n2,\"x\ny\xff\"\n", "3:2", "y\ufffd\"", " ^"),
])
def test_an_undecodable_facts_file_is_an_error_at_its_first_bad_byte(tmp_path, data, where, line, caret):
    (tmp_path / "r.csv").write_bytes(data)
    program = write(tmp_path, "p.nsl", 'input r(a: int, s: str) from "r.csv"\nq(s) :- r(_, s).\n')
    proc = nslc("run", program, cwd=str(tmp_path))
    assert_positioned(proc, f"r.csv:{where}", "not UTF-8 text: byte 0x", line, caret)


@pytest.mark.parametrize("decl, what", [
    ('index m(dim = 4, quant = int8, metric = l2) from "a\\0.npy"', "index file 'a\\0.npy'"),
    ('input m(a: int) from "a\\0.csv"', "fact file '"),
])
def test_a_nul_in_a_data_file_path_is_an_error_at_the_declaration(tmp_path, decl, what):
    proc = nslc("run", write(tmp_path, "p.nsl", decl + "\n"), cwd=str(tmp_path))
    assert_positioned(proc, "p.nsl:1:1", what, decl, "^" * len(decl))
    assert "a path cannot hold a NUL character" in proc.stderr and "\0" not in proc.stderr


@pytest.mark.parametrize("template, where", [("p({}).", "1:3"), ("p(-{}).", "1:4"),
                                             ("q(x) :- q(x), x = {}.", "1:19"), ("type D = 0..{}", "1:13")])
def test_an_int_literal_past_pythons_digit_limit_is_the_usual_range_error(tmp_path, template, where):
    name = write(tmp_path, "h.nsl", template.format("9" * 5000) + "\n")
    for command in ("check", "fmt"):
        proc = nslc(command, name, cwd=str(tmp_path))
        assert proc.returncode == 1, proc.stderr[:300]
        assert proc.stderr.startswith(f"h.nsl:{where}: error: int literal of 5000 digits does not "
                                      "fit in 64 bits\n"), proc.stderr[:300]


def test_an_npy_index_past_float32s_range_is_a_diagnostic_without_a_numpy_warning(tmp_path):
    import numpy as np

    vectors = np.ones((3, 4))
    vectors[1, 2] = 1e300
    np.save(tmp_path / "big.npy", vectors)
    decl = 'index memory(dim = 4, quant = int8, metric = l2) from "big.npy"'
    program = write(tmp_path, "k.nsl", decl + "\ninput question(q: int, v: tensor[4])\n"
                                       "recall(q, d, s) :- question(q, v), knn(memory, v, 2, d, s).\n")
    proc = nslc("run", program, cwd=str(tmp_path))
    assert_positioned(proc, "k.nsl:1:1", "cannot load index 'memory' from 'big.npy': row 1 holds a "
                                         "value past float32's range", decl, "^" * len(decl))


def test_building_an_index_from_values_past_float32_raises_no_numpy_warning():
    import warnings

    import numpy as np

    from nsl.runtime.retrieval import RetrievalError, VectorIndex

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RetrievalError, match="NaN or infinity"):
            VectorIndex.build(np.full((2, 4), 1e300), "l2")


def test_a_nul_in_a_check_ir_path_is_shown_escaped(tmp_path):
    source = 'check_ir t { reference: "a\\0.ll", candidate: "b.ll" }'
    proc = nslc("check", write(tmp_path, "c.nsl", source + "\n"), cwd=str(tmp_path))
    assert proc.returncode == 1 and "\0" not in proc.stderr, proc.stderr
    assert "no such file:" in proc.stderr and "a\\0.ll" in proc.stderr, proc.stderr


@pytest.mark.parametrize("data, where, offset", [
    (b'p(1).\nq("\xff").\n', "2:4", 9),
    (b'\xef\xbb\xbfp(1).\n\xfe', "2:1", 9),  # the byte order mark is not a column
])
def test_a_program_that_is_not_utf8_is_an_error_at_its_first_bad_byte(tmp_path, data, where, offset):
    (tmp_path / "b.nsl").write_bytes(data)
    proc = nslc("check", "b.nsl", cwd=str(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"b.nsl:{where}: error: not UTF-8 text: byte "
                                  f"0x{data[offset]:02x} at offset {offset}"), proc.stderr
