"""The REPL checks each input as a file would: a rule can use only relations defined so far,
and the message says how to enter rules that use each other one at a time."""
from tests.helpers import repl_session


def test_an_unknown_relation_says_how_to_enter_mutually_recursive_rules_one_at_a_time():
    s = repl_session("e(1, 2). e(2, 3). e(3, 4).")
    out = s.feed("odd(a, c) :- even(a, b), e(b, c).")
    assert out.startswith("<repl>:1:14: error: unknown relation 'even'")
    assert "declare it first: `rel even(a: int, b: int)` (with its column types)" in out
    assert "rel even" in s.feed(":help")
    session_after = [s.feed(t) for t in ("rel even(a: int, b: int)", "odd(a, c) :- even(a, b), e(b, c).",
                                         "even(a, a) :- e(a, _).", "even(a, c) :- odd(a, b), e(b, c).")]
    assert session_after == ["", "", "", ""]
    assert s.feed("odd(1, x)?") == "// odd: 2 facts\nodd(1, 2).\nodd(1, 4)."
