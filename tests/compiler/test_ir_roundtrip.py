"""The IR text form round-trips: parse(print(m)) == m, and the parser's errors are positioned."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings

from nsl.compiler import ir
from nsl.compiler.ir_parser import parse_module
from nsl.compiler.ir_printer import KEYWORDS, format_name, print_module
from nsl.compiler.verify import verify_module
from nsl.lang.diagnostics import CompileError, Span
from tests.compiler.ir_strategies import modules

ROUNDTRIP = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@ROUNDTRIP
@given(modules())
def test_random_valid_modules_verify_and_round_trip(module):
    assert [d.message for d in verify_module(module)] == []
    text = print_module(module)
    again = parse_module(text)
    assert again == module
    assert print_module(again) == text


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(modules())
def test_locations_print_and_parse_back(module):
    text = print_module(module, with_locations=True)
    again = parse_module(text)
    assert again == module
    assert print_module(again, with_locations=True) == text


def test_locations_are_read_back_into_origin():
    span = Span('dir/a "b".nsl', 3, 5, 4, 12)
    insert = ir.Insert("done", (), span)
    module = ir.Module((ir.Relation("done", (), "idb", None, span),), (),
                       (ir.Stratum(("done",), False, (ir.Rule("r", (insert,), span),)),), ())
    text = print_module(module, with_locations=True)
    assert 'insert done () loc("dir/a \\"b\\".nsl":3:5:4:12)' in text
    again = parse_module(text)
    assert again.strata[0].init[0].ops[0].origin == span
    assert again.relations[0].origin == span
    assert "loc(" not in print_module(module)


def test_the_briefs_example_parses():
    module = parse_module(EXAMPLE)
    assert verify_module(module) == []
    assert print_module(module) == EXAMPLE
    agg = module.strata[0].loop[0].ops[4]
    assert agg == ir.Aggregate("count", ("n",), ("m",), ("a",), (
        (ir.Join("edge", "full", (ir.ColRef("a", "int"), ir.ColRef("m", "int"))),),
        (ir.Join("edge", "full", (ir.ColRef("m", "int"), ir.ColRef("a", "int"))),)),
        None, ("int",))


EXAMPLE = """\
relation edge(int, int) edb
relation path(int, int) idb
facts edge {
  (1, 2)
  0.9 :: (3, 4)
  0.2 :: (-5, 6) in group 0
}
stratum 0 [path] recursive {
  init rule path#0 {
    join edge full (a:int, b:int)
    insert path (a:int, b:int)
  }
  loop rule path#1 {
    join path delta (a:int, b:int)
    join edge full (b:int, c:int)
    filter (gt c:int 3:int):bool
    map d = (add c:int 1:int):int
    aggregate (n:int) = count(m) by (a) {
      join edge full (a:int, m:int)
    } or {
      join edge full (m:int, a:int)
    }
    insert path (a:int, c:int)
  }
}
outputs path
query path (1:int, x:int)
provenance topk_proofs(k = 5)
"""


def test_literals_keep_their_python_type_and_value():
    values = (True, 1, 1.0, -0.0, math.inf, -math.inf, 2**70, "q\"\\\n\x00é", 5e-324)
    module = ir.Module((ir.Relation("r", (), "edb"),), (ir.Facts("r", (ir.FactRow(values),)),),
                       (), ())
    row = parse_module(print_module(module)).facts[0].rows[0]
    assert [type(v) for v in row.values] == [type(v) for v in values]
    assert row.values == values
    assert math.copysign(1, row.values[3]) == -1


def test_any_nan_prints_as_nan_and_reads_back_as_math_nan():
    module = ir.Module((), (ir.Facts("r", (ir.FactRow((float("nan"),)),)),), (), ())
    text = print_module(module)
    assert "(nan)" in text
    assert parse_module(text).facts[0].rows[0].values[0] is math.nan


def test_keywords_and_odd_names_are_quoted():
    module = ir.Module((ir.Relation("join", ("int",), "edb"), ir.Relation("true", (), "edb"),
                        ir.Relation("a b", (), "edb"), ir.Relation("x`y", (), "edb"),
                        ir.Relation("std.x#1", (), "edb")), (), (), ())
    text = print_module(module)
    assert "relation `join`(int) edb" in text
    assert "relation std.x#1() edb" in text
    assert "relation `true`() edb" in text
    assert "relation `a b`() edb" in text
    assert "relation `x\\`y`() edb" in text
    assert parse_module(text) == module


def test_every_grammar_keyword_is_quoted_by_the_printer():
    import re

    from nsl.compiler.ir_grammar import IR_GRAMMAR
    words = set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', IR_GRAMMAR))
    assert words <= KEYWORDS
    assert all(format_name(word).startswith("`") for word in words)


def test_an_ill_formed_aggregate_still_prints_faithfully():
    agg = ir.Aggregate("sum", ("s",), ("x",), (), (), None, ("int", "float"))
    module = ir.Module((), (), (ir.Stratum((), False, (ir.Rule("r", (agg,)),)),), ())
    text = print_module(module)
    assert "aggregate (s) = sum(x) by () types (int, float)" in text
    assert parse_module(text) == module


@pytest.mark.parametrize("text, line, col, fragment", [
    ("relation r(int) edb\nfacts r {\n  (1,\n}\n", 4, 1, "unexpected '}'"),
    ("relation r(int edb\n", 1, 16, "unexpected 'edb'; expected one of ',', ')'"),
    ('facts r {\n  ("abc)\n}\n', 2, 4, "unterminated string"),
    ("stratum 0 [] {\n}\nstratum 2 [] {\n}\n", 3, 1, "stratum 2 is out of order; expected stratum 1"),
    ("relation r(int) edb\nfacts r {\n", 2, 9, "the IR text ended unexpectedly"),
    ('facts r {\n  ("\\q")\n}\n', 2, 4, "bad escape sequence"),
    ("stratum 0 [] {\n init rule r {\n  aggregate (a:int, b) = count(x) by () {\n  }\n }\n}\n",
     3, 3, "annotate every aggregate result with a type, or none of them"),
    ("relation r(int) edb $\n", 1, 21, "unexpected character '$'"),
])
def test_parse_errors_are_positioned_diagnostics(text, line, col, fragment):
    with pytest.raises(CompileError) as info:
        parse_module(text, "m.ir")
    [diagnostic] = info.value.diagnostics
    assert fragment in diagnostic.message
    assert (diagnostic.span.file, diagnostic.span.line, diagnostic.span.col) == ("m.ir", line, col)
