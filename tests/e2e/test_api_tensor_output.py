"""Relations with tensor columns in `nslc run`'s output, text and --json, and in to_json.

--json was an internal error (a Tensor is not JSON serializable) and the text
showed torch's repr, rounded to 4 digits and elided past 1000 numbers."""
from __future__ import annotations

import json

import torch

import nsl
from nsl.commands import format_result
from tests.helpers import nslc

PROGRAM = 'input question(q: int, v: tensor[4]) from "q.jsonl"\nt(q, v) :- question(q, v).\n'


def _files(tmp_path):
    (tmp_path / "q.jsonl").write_text("[1, [1, 0, 0, 0.1]]\n[2, [1e-30, 3e38, -0.0, 0.5]]\n")
    (tmp_path / "t.nsl").write_text(PROGRAM)


def _f32(x: float) -> float:
    return torch.tensor(x, dtype=torch.float32).item()


def test_run_json_gives_tensors_as_lists_of_their_exact_values(tmp_path):
    _files(tmp_path)
    out = nslc("run", "--json", "t.nsl", cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)["relations"]["t"]
    assert rows == [{"args": [1, [1.0, 0.0, 0.0, _f32(0.1)]]},
                    {"args": [2, [_f32(1e-30), _f32(3e38), -0.0, 0.5]]}]


def test_text_output_prints_every_number_in_full(tmp_path):
    _files(tmp_path)
    out = nslc("run", "t.nsl", cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("// t: 2 facts\n"
                          f"t(1, [1.0, 0.0, 0.0, {_f32(0.1)!r}]).\n"
                          f"t(2, [{_f32(1e-30)!r}, {_f32(3e38)!r}, -0.0, 0.5]).\n")


def test_long_and_nested_tensors_are_never_elided():
    program = nsl.compile("input m(q: int, v: tensor[2, 1000])\nt(q, v) :- m(q, v).\n")
    value = torch.rand(2, 1000)
    result = program.run(facts={"m": [(7, value)]})
    args = result.to_json()["relations"]["t"][0]["args"]
    assert json.loads(json.dumps(args)) == [7, value.tolist()]
    line = format_result(result).splitlines()[1]
    assert "..." not in line and "tensor" not in line
    assert torch.equal(torch.tensor(json.loads(line[len("t(7, "):-len(").")])), value)
