"""A string with a trailing NUL is a value of its own from every way facts come in."""
import json

import nsl
from tests.helpers import nslc

PROGRAM = 'input p(c: str) from "p.{ext}"\nq(c) :- p(c).\nisred(c) :- p(c), c == "red".\n'


def test_source_facts_keep_trailing_nul(tmp_path):
    (tmp_path / "t.nsl").write_text('p("red\\0"). p("red").\nq(c) :- p(c).\n'
                                    'isred(c) :- p(c), c == "red".\n')
    out = nslc("run", str(tmp_path / "t.nsl"), "--json")
    assert out.returncode == 0, out.stderr
    rel = json.loads(out.stdout)["relations"]
    assert rel["q"] == [{"args": ["red"]}, {"args": ["red\0"]}]
    assert rel["isred"] == [{"args": ["red"]}]


def test_jsonl_and_csv_facts_keep_trailing_nul(tmp_path):
    (tmp_path / "p.jsonl").write_text('["red\\u0000"]\n["red"]\n')
    (tmp_path / "p.csv").write_text('red\0\nred\n')
    for ext in ("jsonl", "csv"):
        program = nsl.compile(PROGRAM.format(ext=ext).replace("p.", str(tmp_path / "p."), 1))
        result = program.run()
        assert result["q"] == [("red",), ("red\0",)], ext
        assert result["isred"] == [("red",)], ext


def test_python_facts_keep_trailing_nul_and_enum_refuses_it():
    program = nsl.compile("input s(x: str)\nt(x) :- s(x).")
    assert program.run(facts={"s": [("a\0",), ("a",)]})["t"] == [("a",), ("a\0",)]
    enum = nsl.compile('type C = {"red", "green"}\ninput v(x: C)\nw(x) :- v(x).')
    try:
        enum.run(facts={"v": [("red\0",)]})
    except nsl.CompileError as e:
        assert "is not" in str(e) or "has type C" in str(e), str(e)
    else:
        raise AssertionError("a value outside the enum was accepted")


def test_min_on_strings_orders_trailing_nul_after_prefix():
    program = nsl.compile('p("a\\0"). p("a"). p("a\\0\\0").\nm(v) :- v = min(x: p(x)).\n'
                          'big(v) :- v = max(x: p(x)).\nlt(x) :- p(x), x < "a\\0".\n')
    result = program.run()
    assert result["m"] == [("a",)] and result["big"] == [("a\0\0",)]
    assert result["lt"] == [("a",)]
