"""docs/language.md's int arithmetic, as written there: 64-bit wrapping, truncated negative powers."""
from tests.helpers import expect_result

MIN = -(2 ** 63)


def test_the_documented_examples_of_wrapping_and_negative_powers():
    expect_result("""o(1).
a(x) :- o(_), x = 9223372036854775807 + 1.
b(x) :- o(_), x = 2 ** 63.
c(x) :- o(_), y = -9223372036854775807 - 1, x = abs(y).
e(x) :- o(_), y = -9223372036854775807 - 1, x = y / -1.
d(x) :- o(_), x = 2 ** -1.
f(x) :- o(_), y = 0, x = y ** -1.
n(k, v) :- o(k), v = 9223372036854775807.
n(k, v) :- o(j), k = j + 1, v = 1.
s(t) :- t = sum(v, k: n(k, v)).
""", {"a": [(MIN,)], "b": [(MIN,)], "c": [(MIN,)], "e": [(MIN,)], "d": [(0,)], "f": [], "s": [(MIN,)]})
