"""Strings are exact values: a trailing NUL is part of the string, in ids and in order."""
from nsl.runtime import Interner
from nsl.runtime.io import Domain


def test_trailing_nul_strings_get_their_own_ids():
    it = Interner()
    ids = it.intern_many(["a\0", "a", "a\0\0", "a"])
    assert len(set(ids.tolist())) == 3
    assert it.decode(ids).tolist() == ["a\0", "a", "a\0\0", "a"]
    assert it.intern("a\0") == ids[0] and it.intern("a") == ids[1]


def test_ranks_follow_python_order_with_trailing_nuls():
    it = Interner()
    words = ["a\0", "b", "a", "a\0\0", "a\x01", ""]
    (r,) = it.ranks(it.intern_many(words))
    assert [w for _, w in sorted(zip(r.tolist(), words))] == sorted(words)
    assert len(set(r.tolist())) == len(words)


def test_concat_keeps_trailing_nuls():
    it = Interner()
    left, right = it.intern_many(["a\0", "b"]), it.intern_many(["\0", "c\0"])
    assert it.decode(it.concat(left, right)).tolist() == ["a\0\0", "bc\0"]


def test_str_subclasses_are_stored_as_str():
    import numpy as np
    it = Interner()
    ids = it.intern_many([np.str_("x"), "x", np.str_("y")])
    assert ids.tolist() == [0, 0, 1]
    assert [type(s) for s in it.decode(ids).tolist()] == [str, str, str]


def test_enum_domain_does_not_take_a_value_with_a_trailing_nul():
    colour = Domain("C", values=("red", "green"))
    assert colour.first_outside(["green", "red\0"]) == 1
    assert colour.first_outside(["green", "red"]) is None
