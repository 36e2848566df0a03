"""Every pair of the corpus gets the verdict its ``; EXPECT:`` line states.

EXPECT holds the verdict, then optional ``check=``, ``bound=``, ``proved=``,
``input0=`` and ``reason=`` (the rest of the line) expectations; ``; ARGS:``
passes options (``unroll=4``). Pairs are ``NAME.srctgt.ll`` (@src/@tgt) or
``NAME.ref.ll`` + ``NAME.cand.ll``. Pairs whose answer needs native execution
(outside the SMT subset) run the differential stage; the rest are decided by
the proof alone here, which keeps the suite fast (test_differential covers
the native stage on corpus pairs too).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from nsl.compiler.check_ir.api import check_ir

CORPUS = Path(__file__).parent / "corpus"


def corpus_cases():
    cases = []
    for path in sorted(CORPUS.glob("*.srctgt.ll")):
        cases.append((path.name, path, None))
    for path in sorted(CORPUS.glob("*.ref.ll")):
        cases.append((path.name, path, path.with_name(path.name.replace(".ref.ll", ".cand.ll"))))
    return cases


def parse_header(path: Path):
    expect, args = None, {}
    for line in path.read_text().splitlines():
        if line.startswith("; EXPECT:"):
            expect = line.split(":", 1)[1].strip()
        elif line.startswith("; ARGS:"):
            for item in line.split(":", 1)[1].split():
                key, value = item.split("=")
                args[key] = int(value)
    assert expect, f"{path.name} has no EXPECT line"
    verdict, _, rest = expect.partition(" ")
    fields = {}
    if "reason=" in rest:
        rest, fields["reason"] = rest.split("reason=", 1)
    for item in rest.split():
        key, value = item.split("=")
        fields[key] = value
    return verdict, fields, args


@pytest.mark.parametrize("name,ref,cand", corpus_cases(), ids=[c[0] for c in corpus_cases()])
def test_corpus_pair(name, ref, cand):
    verdict, fields, args = parse_header(ref)
    needs_native = "outside" in fields.get("reason", "") or fields.get("proved") == "false"
    result = check_ir(str(ref), str(cand) if cand else None, samples=2000, timeout=20,
                      native=needs_native, **args)
    out = result.to_json()
    assert out["verdict"] == verdict, out
    if "check" in fields:
        assert out["counterexample"]["check"] == fields["check"], out
    if "bound" in fields:
        assert out["bound"] == int(fields["bound"]), out
    if "proved" in fields:
        assert out["proved"] == (fields["proved"] == "true"), out
    if "input0" in fields:
        assert out["counterexample"]["inputs"][0] == int(fields["input0"]), out
    if "reason" in fields:
        assert fields["reason"].strip() in out["reason"], out
    if verdict in ("equivalent", "refines"):
        assert out["proved"] is True and out["counterexample"] is None
    if verdict == "unknown":
        assert out["proved"] is False and out["reason"]


def test_corpus_is_large_enough_and_mixed():
    verdicts = [parse_header(ref)[0] for _, ref, _ in corpus_cases()]
    for wanted in ("equivalent", "refines", "counterexample", "unknown", "invalid-ir"):
        assert wanted in verdicts
    assert len(verdicts) >= 25
