"""Attributes, metadata and quoted names: never ignored, never misread.

The property test is the soundness check: random call-site attributes and
``!range`` metadata on a candidate, quoted names with the characters the
printer's syntax uses, and a brute-force oracle written here from the LangRef
(not from the lifter) that says which refinement directions hold. A proof the
oracle contradicts is a soundness bug.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from nsl.compiler.check_ir.api import check_ir, check_ir_text
from nsl.compiler.check_ir.ir_text import parse_instruction, tokenize

OPS = {
    "umin": min, "umax": max,
    "smin": lambda a, b: min(_s(a), _s(b)) & 255, "smax": lambda a, b: max(_s(a), _s(b)) & 255,
    "uadd.sat": lambda a, b: min(a + b, 255), "usub.sat": lambda a, b: max(a - b, 0),
}
NAMES = ['%r', '%"r = icmp ult i8"', '%"x, i8 noundef range(i8 0, 1) @f("',
         '%"nsw [ i8 1, label %a ]"', '%"\\22q\\22 = add nuw i8"']


def _s(v):
    return v - 256 if v >= 128 else v


def _in(v, lo, hi):
    return (v - lo) % 256 < (hi - lo) % 256


def test_tokenizer_keeps_quoted_names_and_groups_whole():
    parsed = parse_instruction('%"c = icmp ult i8, (" = icmp samesign sgt i8 %"a b", 1, !dbg !3')
    assert parsed.result == '%"c = icmp ult i8, ("'
    assert parsed.tokens == ("icmp", "samesign", "sgt", "i8", '%"a b"', ",", "1")
    assert parsed.metadata == (("dbg", "!3"),)
    assert tokenize('call i8 @f(i8 range(i8 0, 10) %x)') == [
        "call", "i8", "@f", "(i8 range(i8 0, 10) %x)"]


def test_same_file_with_function_compares_the_function_with_itself(tmp_path):
    path = tmp_path / "two.ll"
    path.write_text("define i32 @f(i32 %x) {\n  %r = add i32 %x, 1\n  ret i32 %r\n}\n"
                    "define i32 @h(i32 %x) {\n  ret i32 %x\n}\n")
    assert check_ir(str(path), str(path), function="f", native=False).verdict == "equivalent"
    assert check_ir(str(path), str(path), native=False).verdict == "invalid-ir"


def test_noreturn_function_is_not_proved():
    src = "define i8 @src(i8 %x) {\n  ret i8 %x\n}\n"
    tgt = "define i8 @tgt(i8 %x) #0 {\n  ret i8 %x\n}\nattributes #0 = { noreturn }\n"
    result = check_ir_text(src + tgt, native=False)
    assert result.verdict == "unknown" and "function attribute noreturn" in result.reason


def test_unknown_call_site_attribute_is_not_proved():
    text = ("define i8 @src(i8 %x) {\n  %r = call i8 @llvm.umin.i8(i8 %x, i8 3)\n  ret i8 %r\n}\n"
            "define i8 @tgt(i8 %x) {\n  %r = call i8 @llvm.umin.i8(i8 returned %x, i8 3)\n"
            "  ret i8 %r\n}\ndeclare i8 @llvm.umin.i8(i8, i8)\n")
    result = check_ir_text(text, native=False)
    assert result.verdict == "unknown" and "call-site attribute returned" in result.reason


ranges = st.tuples(st.integers(0, 255), st.integers(0, 255)).filter(lambda r: r[0] != r[1])


@st.composite
def md_ranges(draw):
    points = sorted(draw(st.sets(st.integers(0, 127), min_size=2, max_size=6)))
    points = points[:len(points) // 2 * 2]
    pairs = list(zip(points[::2], points[1::2]))
    # !range intervals must not touch: drop any that starts where the last ended
    kept = [pairs[0]] + [p for prev, p in zip(pairs, pairs[1:]) if p[0] != prev[1]]
    return kept


@st.composite
def attributed_calls(draw):
    return dict(op=draw(st.sampled_from(sorted(OPS))), c=draw(st.integers(0, 255)),
                name=draw(st.sampled_from(NAMES)), arg_noundef=draw(st.booleans()),
                arg_range=draw(st.none() | ranges), ret_noundef=draw(st.booleans()),
                ret_range=draw(st.none() | ranges), md=draw(st.none() | md_ranges()))


def _pair_text(case) -> str:
    op, c, name = case["op"], case["c"], case["name"]
    call = f"call i8 @llvm.{op}.i8(i8 %x, i8 {c})"
    arg = "i8 " + ("noundef " if case["arg_noundef"] else "")
    if case["arg_range"]:
        arg += "range(i8 %d, %d) " % case["arg_range"]
    ret = ("noundef " if case["ret_noundef"] else "")
    if case["ret_range"]:
        ret += "range(i8 %d, %d) " % case["ret_range"]
    md = ", !range !0" if case["md"] else ""
    tgt_call = f"call {ret}i8 @llvm.{op}.i8({arg}%x, i8 {c}){md}"
    text = (f"define i8 @src(i8 %x) {{\n  %r = {call}\n  ret i8 %r\n}}\n"
            f"define i8 @tgt(i8 %x) {{\n  {name} = {tgt_call}\n  ret i8 {name}\n}}\n"
            f"declare i8 @llvm.{op}.i8(i8, i8)\n")
    if case["md"]:
        text += "!0 = !{" + ", ".join(f"i8 {lo}, i8 {hi}" for lo, hi in case["md"]) + "}\n"
    return text


def _oracle(case, x):
    """(src, tgt) outcomes at input x (None: poison input): an int, 'poison' or 'ub'."""
    fn = OPS[case["op"]]
    src = "poison" if x is None else fn(x, case["c"])
    a = x
    if a is not None and case["arg_range"] and not _in(a, *case["arg_range"]):
        a = None
    if a is None and case["arg_noundef"]:
        return src, "ub"
    r = "poison" if a is None else fn(a, case["c"])
    if r != "poison" and case["ret_range"] and not _in(r, *case["ret_range"]):
        r = "poison"
    if r != "poison" and case["md"] and not any(_in(r, lo, hi) for lo, hi in case["md"]):
        r = "poison"
    if r == "poison" and case["ret_noundef"]:
        return src, "ub"
    return src, r


def _refines(ref, cand) -> bool:
    return ref == "ub" or (cand != "ub" and (ref == "poison" or cand == ref))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributed_calls())
def test_attributes_and_metadata_are_never_ignored(case):
    text = _pair_text(case)
    result = check_ir_text(text, native=False, timeout=30).to_json()
    outcomes = {x: _oracle(case, x) for x in [None, *range(256)]}
    forward = all(_refines(s, t) for s, t in outcomes.values())
    backward = all(_refines(t, s) for s, t in outcomes.values())
    verdict = result["verdict"]
    assert verdict in ("equivalent", "refines", "counterexample"), (text, result)
    if verdict == "equivalent":
        assert forward and backward, (text, result)
    elif verdict == "refines":
        assert forward and not backward, (text, result)
    else:
        shown = result["counterexample"]["inputs"][0]
        src, tgt = outcomes[None if shown == "poison" else shown]
        assert not _refines(src, tgt), (text, result)
        assert result["counterexample"]["candidate"] == tgt, (text, result)
