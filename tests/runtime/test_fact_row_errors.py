"""Values the runtime cannot store: a program's fact row is blamed at its origin, a row
given from Python by its number."""
from __future__ import annotations

import pytest

import nsl
from nsl.compiler import ir
from nsl.lang.diagnostics import CompileError, Span
from nsl.runtime import execute
from nsl.runtime.loading import FactRowError


def span(line: int) -> Span:
    return Span("f.nsl", line, 1, line, 9)


def module(types, *rows) -> ir.Module:
    facts = tuple(ir.FactRow(values, origin=span(k + 1)) for k, values in enumerate(rows))
    return ir.Module((ir.Relation("v", types, "edb"),), (ir.Facts("v", facts, origin=span(1)),),
                     (), ("v",))


@pytest.mark.parametrize("types, rows, line, message", [
    (("int",), [(1,), (2 ** 64,)], 2,
     "argument 1 of this fact has type int, but its value 18446744073709551616 does not fit in 64 bits"),
    (("int",), [(1,), ("b",)], 2, "argument 1 of this fact has type int, but its value is 'b'"),
    (("int", "float"), [(1, 0.5), (2, "x")], 2,
     "argument 2 of this fact has type float, but its value is 'x'"),
    (("tensor[3]",), [((1, 2, 3),), ((1, 2, 3, 4),)], 2,
     "argument 1 of this fact has type tensor[3], but its value has shape [4]"),
    (("tensor[3]",), [((1, 2),), ((1, 2),)], 1,
     "argument 1 of this fact has type tensor[3], but its value has shape [2]"),
    (("tensor[2]",), [((1, 2),), ((1, "a"),)], 2,
     "argument 1 of this fact has type tensor[2], but its value is (1, 'a')"),
    (("tensor[]",), [((1, 2),), ((1, 2, 3),)], 2,
     "argument 1 of this fact has type tensor, but its value has shape [3], unlike the first "
     "row's [2]"),
    (("int", "int"), [(1, 2), (1,)], 2, "this fact has 1 value, but the relation has arity 2"),
])
def test_a_bad_fact_row_is_blamed_at_its_origin(types, rows, line, message):
    with pytest.raises(FactRowError) as info:
        execute(module(types, *rows))
    assert info.value.message == message
    assert info.value.diagnostic().span == span(line)


def test_good_fact_rows_still_load():
    db = execute(module(("int", "tensor[2]"), (1, (0.5, 1.0)), (2, (1.0, 2.0))))
    assert sorted(r[0] for r in db.rows("v")) == [1, 2]


PROGRAM = "input v(x: int, y: tensor[2])\nw(x) :- v(x, _).\n"


@pytest.mark.parametrize("rows, message", [
    ([(1, [1, 2]), (2, [1, 2, 3])],
     "row 2 of relation 'v': column 2 has type tensor[2], but its value has shape [3]"),
    ([(1, [1, 2]), (2, "ab")], "row 2 of relation 'v': column 2 has type tensor[2], but its value is 'ab'"),
    ([(2 ** 70, [1, 2])],
     "row 1 of relation 'v': column 1 has type int, but its value 1180591620717411303424 does not "
     "fit in 64 bits"),
    ([(1, [1, 2, 3])], "column 2 of relation 'v' is tensor[2], but its values have shape [3]"),
])
def test_rows_from_python_name_the_bad_row(rows, message):
    with pytest.raises(CompileError) as info:
        nsl.compile(PROGRAM).run(facts={"v": rows})
    [diagnostic] = info.value.diagnostics
    assert diagnostic.message == message
