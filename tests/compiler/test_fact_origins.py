"""Fact rows keep their source: lowering sets it, the IR text carries it (with locations),
passes keep it, and the verifier's fact errors point at the row."""
from __future__ import annotations

from dataclasses import replace

from nsl.compiler import ir
from nsl.compiler.driver import compile_source
from nsl.compiler.ir_parser import parse_module
from nsl.compiler.ir_printer import print_module
from nsl.compiler.verify import verify_module
from nsl.lang.diagnostics import Span

SOURCE = """\
rel edge(a: int, b: int)
edge(1, 2).
0.5 :: edge(2, 3).
0.3 :: coin("h"); 0.7 :: coin("t").
path(a, b) :- edge(a, b).
path(a, c) :- path(a, b), edge(b, c).
"""


def where(span: Span) -> tuple:
    return (span.line, span.col, span.end_line, span.end_col)


def test_lowering_gives_each_fact_row_its_atom():
    lowered = compile_source(SOURCE, "f.nsl").lowered
    edge, coin = (next(f for f in lowered.facts if f.rel == rel) for rel in ("edge", "coin"))
    assert [where(r.origin) for r in edge.rows] == [(2, 1, 2, 10), (3, 8, 3, 17)]
    assert [where(r.origin) for r in coin.rows] == [(4, 8, 4, 16), (4, 26, 4, 34)]
    assert edge.origin == edge.rows[0].origin and edge.origin.file == "f.nsl"


def test_passes_keep_fact_origins():
    comp = compile_source(SOURCE, "f.nsl")
    lowered = {f.rel: f for f in comp.lowered.facts}
    assert comp.module.facts
    for after in comp.module.facts:
        before = lowered[after.rel]
        assert after.origin == before.origin
        assert [r.origin for r in after.rows] == [r.origin for r in before.rows]


def test_fact_locations_print_and_parse_back():
    module = compile_source(SOURCE, "f.nsl").lowered
    text = print_module(module, with_locations=True)
    assert 'facts edge loc("f.nsl":2:1:2:10) {' in text
    assert '  0.5 :: (2, 3) loc("f.nsl":3:8:3:17)' in text
    assert '  0.7 :: ("t") in group 0 loc("f.nsl":4:26:4:34)' in text
    again = parse_module(text)
    assert [r.origin for f in again.facts for r in f.rows] == [r.origin for f in module.facts
                                                               for r in f.rows]
    assert print_module(again, with_locations=True) == text
    assert "loc(" not in print_module(module)  # the plain text form is unchanged


def _with_row(module: ir.Module, rel: str, row: ir.FactRow) -> ir.Module:
    facts = tuple(replace(f, rows=f.rows + (row,)) if f.rel == rel else f for f in module.facts)
    return replace(module, facts=facts)


ROW = Span("f.nsl", 9, 1, 9, 12)


def test_verifier_fact_errors_point_at_the_row():
    module = compile_source(SOURCE, "f.nsl").module
    cases = [
        (ir.FactRow((1, "x"), origin=ROW), 'fact 2 of edge: value "x" in column 1 is not of type int'),
        (ir.FactRow((1,), origin=ROW), "fact 2 of edge has 1 values but edge has arity 2"),
        (ir.FactRow((1, 2), 1.5, origin=ROW), "fact 2 of edge: probability 1.5 is not in [0, 1]"),
        (ir.FactRow((2 ** 63, 2), origin=ROW),
         "fact 2 of edge: value 9223372036854775808 in column 0 is not of type int "
         "(outside the 64-bit range)"),
    ]
    for row, message in cases:
        [diagnostic] = verify_module(_with_row(module, "edge", row))
        assert diagnostic.message == message
        assert diagnostic.span == ROW


def test_verifier_falls_back_to_the_facts_block_then_the_declaration():
    module = compile_source(SOURCE, "f.nsl").module
    [diagnostic] = verify_module(_with_row(module, "edge", ir.FactRow((1, "x"))))
    assert where(diagnostic.span) == (2, 1, 2, 10)  # the block's first row
    bare = replace(module, facts=tuple(replace(f, origin=None) for f in module.facts))
    [diagnostic] = verify_module(_with_row(bare, "edge", ir.FactRow((1, "x"))))
    assert diagnostic.span == module.relation("edge").origin
    stray = replace(module, facts=module.facts + (ir.Facts("nope", (), origin=ROW),))
    [diagnostic] = verify_module(stray)
    assert diagnostic.message == "facts for undeclared relation nope" and diagnostic.span == ROW


def test_an_int_literal_past_64_bits_does_not_verify():
    module = parse_module("relation r(int) idb\nstratum 0 [r] {\n  init rule r#0 {\n"
                          "    insert r (9223372036854775808:int)\n  }\n}\n")
    assert [d.message for d in verify_module(module)] == [
        "in rule r#0: literal 9223372036854775808 does not have type int (outside the 64-bit range)"]


def test_constant_fold_leaves_a_negation_that_would_overflow():
    from nsl.compiler.passes.constant_fold import fold_expr
    neg = ir.UnExpr("neg", ir.Lit(-2 ** 63, "int"), "int")
    assert fold_expr(neg) == neg
    assert fold_expr(ir.UnExpr("neg", ir.Lit(2 ** 63, "int"), "int")) == ir.Lit(-2 ** 63, "int")
