"""Semiring laws of every registered provenance, and the generic segment ⊕."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nsl.runtime import make_provenance
from nsl.runtime.provenance import _REGISTRY
from nsl.runtime.provenance.base import Provenance

PROVS = sorted(_REGISTRY)


def tags(prov, n):
    return st.lists(st.floats(0, 1), min_size=n, max_size=n).map(
        lambda ps: prov.from_prob(torch.tensor(ps, dtype=torch.float64)))


def same(a, b):
    return bool(torch.equal(a, b)) if a.dtype == torch.bool else bool(torch.allclose(a, b))


@pytest.mark.parametrize("name", PROVS)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_semiring_laws(name, data):
    p = make_provenance(name)
    a, b, c = (data.draw(tags(p, 6)) for _ in range(3))
    zero, one = p.zero(6), p.one(6)
    assert same(p.add(a, b), p.add(b, a)) and same(p.mul(a, b), p.mul(b, a))
    assert same(p.add(p.add(a, b), c), p.add(a, p.add(b, c)))
    assert same(p.mul(p.mul(a, b), c), p.mul(a, p.mul(b, c)))
    assert same(p.add(a, zero), a) and same(p.mul(a, one), a)
    assert same(p.mul(a, zero), zero)
    assert same(p.mul(a, p.add(b, c)), p.add(p.mul(a, b), p.mul(a, c)))
    assert bool(p.is_zero(zero).all()) and not bool(p.is_zero(one).any())
    assert same(p.negate(zero), one) and same(p.negate(one), zero)
    assert bool(p.is_saturated(a, a).all())
    if p.one_is_absorbing:
        assert same(p.add(one, a), one)


@pytest.mark.parametrize("name", PROVS)
@settings(max_examples=50, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=1, max_size=6), data=st.data())
def test_add_segments_matches_a_fold(name, sizes, data):
    p = make_provenance(name)
    t = data.draw(tags(p, sum(sizes)))
    starts = torch.tensor([0] + list(torch.tensor(sizes).cumsum(0)[:-1].tolist()))
    expected, pos = [], 0
    for s in sizes:
        acc = t[pos:pos + 1]
        for i in range(pos + 1, pos + s):
            acc = p.add(acc, t[i:i + 1])
        expected.append(acc)
        pos += s
    expected = torch.cat(expected)
    assert same(p.add_segments(t, starts, len(sizes)), expected)
    # the generic reduction in the base class agrees too
    assert same(Provenance.add_segments(p, t, starts, len(sizes)), expected)


def test_bool_from_prob_and_fresh():
    p = make_provenance(("bool", ()))
    assert p.from_prob(torch.tensor([0.0, 0.3, 1.0], dtype=torch.float64)).tolist() == [False, True, True]
    assert p.fresh(0.5, 3) is None and p.fresh(0.0, 2).tolist() == [False, False]
