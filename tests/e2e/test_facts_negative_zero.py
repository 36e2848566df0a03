"""-0.0 and 0.0 are one value; inputs hold 0.0, so what is printed does not depend on the
order of the facts (program, CSV, JSONL or Python)."""
import math

import pytest
import torch

import nsl

PROGRAM = "input p(x: float)\nq(x) :- p(x).\n"


def sign(x):
    return math.copysign(1.0, x)


@pytest.mark.parametrize("source", ["p(0.0). p(-0.0).", "p(-0.0). p(0.0).", "p(-0.0)."])
def test_source_facts(source):
    rows = nsl.compile(source + "\nq(x) :- p(x).\nquery p.\n").run()["p"]
    assert rows == [(0.0,)] and sign(rows[0][0]) == 1.0


@pytest.mark.parametrize("ext, text", [("csv", "-0.0\n0.0\n"), ("csv", "-0.0\n"),
                                        ("jsonl", "[-0.0]\n[0.0]\n"), ("tsv", "-0\n")])
def test_file_facts(tmp_path, ext, text):
    path = tmp_path / f"p.{ext}"
    path.write_text(text)
    rows = nsl.compile(PROGRAM).run(facts={"p": str(path)})["q"]
    assert rows == [(0.0,)] and sign(rows[0][0]) == 1.0


@pytest.mark.parametrize("facts", [[(-0.0,), (0.0,)], [(-0.0,)], torch.tensor([[-0.0]]),
                                   {0: torch.tensor([-0.0, 0.0], dtype=torch.float64)}])
def test_python_facts_and_joins(facts):
    program = nsl.compile("input p(x: float)\nr(0.0).\nj(x) :- p(x), r(x).\nq(x) :- p(x).\n")
    result = program.run(facts={"p": facts})
    for rel in ("q", "j"):
        assert result[rel] == [(0.0,)] and sign(result[rel][0][0]) == 1.0, rel


def test_tensor_elements_are_kept_as_given():
    program = nsl.compile("input t(k: int, v: tensor[2])\nq(k, v) :- t(k, v).\n")
    (v,) = program.run(facts={"t": [(1, [-0.0, 1.0])]}).tensors("q")[1]
    assert sign(float(v[0])) == -1.0


@pytest.mark.parametrize("order", ["n(-1.0). n(1.0).", "n(1.0). n(-1.0)."])
def test_derived_values_hold_positive_zero_whichever_is_derived_first(order):
    """0.0 * -1.0 is -0.0 and 0.0 * 1.0 is 0.0: one value, stored as 0.0 (it kept the
    first one derived, so the printed sign followed the order of the facts)."""
    result = nsl.compile(order + "\nz(y) :- n(x), y = 0.0 * x.\nneg(y) :- n(x), x < 0.0, y = 0.0 * x.\n").run()
    for rel in ("z", "neg"):
        assert result[rel] == [(0.0,)] and sign(result[rel][0][0]) == 1.0, rel
