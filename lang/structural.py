"""``__eq__``, ``__hash__`` and ``__repr__`` for the AST and IR dataclasses, without recursion.

The methods ``@dataclass`` generates call themselves once per level of a tree (``a == b``
compares ``a.left == b.left``, which compares ``a.left.left``, ...), and a long flat
expression (``y + 1 + 1 + ...``) is a tree as deep as it is long, so comparing, hashing or
printing one would need Python's recursion limit raised with the depth. The replacements
installed here walk the nodes with an explicit stack and give exactly what the generated
methods give: equality field by field over the same fields (``is`` first, as a tuple
compares its items, so a node holding the one ``math.nan`` equals itself), the very same
hash values (``hash`` of the tuple of the fields, a nested node standing for its own hash),
and the same text.
"""
from __future__ import annotations

import dataclasses
import operator

_COMPARED: dict = {}  # class -> fn(node): the tuple of the fields its equality compares
_HASHED: dict = {}  # class -> fn(node): the tuple of the fields its hash covers
_SHOWN: dict = {}  # class -> names of the fields its repr shows


def install(namespace: dict) -> None:
    """Give every dataclass defined in module ``namespace`` (its ``globals()``) these
    methods in place of the ones ``@dataclass`` generated (none of them defines its own)."""
    module = namespace["__name__"]
    for cls in list(namespace.values()):
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)
                and cls.__module__ == module):
            continue
        fields = dataclasses.fields(cls)
        params = cls.__dataclass_params__
        if params.eq:
            _COMPARED[cls] = _getter([f.name for f in fields if f.compare])
            cls.__eq__ = _eq
            if cls.__dict__.get("__hash__") is not None:  # generated (frozen and eq)
                _HASHED[cls] = _getter([f.name for f in fields
                                        if (f.compare if f.hash is None else f.hash)])
                cls.__hash__ = _hash
        if params.repr:
            _SHOWN[cls] = tuple(f.name for f in fields if f.repr)
            cls.__repr__ = _repr


def _getter(names):
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        name = names[0]
        return lambda node: (getattr(node, name),)
    return lambda node: ()


def _eq(self, other):
    if other.__class__ is not self.__class__:
        return NotImplemented
    pairs = [(self, other)]  # nodes or tuples of one type, to compare item by item
    while pairs:
        a, b = pairs.pop()
        fields = _COMPARED.get(type(a))
        if fields is not None:
            a, b = fields(a), fields(b)
        elif len(a) != len(b):
            return False
        for x, y in zip(a, b):
            if x is y:
                continue
            kind = type(x)
            if kind is type(y) and (kind in _COMPARED or kind is tuple):
                pairs.append((x, y))
            elif not x == y:
                return False
    return True


class _Hashed:
    """A node's hash computed already, standing in for the node in its parent's tuple."""

    __slots__ = ("value",)

    def __init__(self, value: int):
        self.value = value

    def __hash__(self) -> int:
        return self.value


def _parts(item) -> list:
    fields = _HASHED.get(type(item))
    return list(item if fields is None else fields(item))


def _hash(self) -> int:
    # Each frame: a node's (or tuple's) parts, nested ones replaced by their hashes as
    # they are done, and how many of the parts are done.
    stack = [(_parts(self), 0)]
    while True:
        parts, done = stack[-1]
        while done < len(parts) and not (type(parts[done]) in _HASHED
                                         or type(parts[done]) is tuple):
            done += 1
        if done < len(parts):
            stack[-1] = (parts, done)
            stack.append((_parts(parts[done]), 0))
            continue
        value = hash(tuple(parts))
        stack.pop()
        if not stack:
            return value
        parent, done = stack[-1]
        parent[done] = _Hashed(value)
        stack[-1] = (parent, done + 1)


def _repr(self) -> str:
    out: list[str] = []
    stack: list = [(False, self)]  # (True, text to write) or (False, value to show)
    while stack:
        is_text, item = stack.pop()
        if is_text:
            out.append(item)
            continue
        names = _SHOWN.get(type(item))
        if names is not None:
            out.append(type(item).__qualname__ + "(")
            stack.append((True, ")"))
            for i in reversed(range(len(names))):
                stack.append((False, getattr(item, names[i])))
                stack.append((True, ("" if i == 0 else ", ") + names[i] + "="))
        elif type(item) in (tuple, list):
            if type(item) is list:
                out.append("[")
                stack.append((True, "]"))
            else:
                out.append("(")
                stack.append((True, ",)" if len(item) == 1 else ")"))
            for i in reversed(range(len(item))):
                stack.append((False, item[i]))
                if i:
                    stack.append((True, ", "))
        else:
            out.append(repr(item))
    return "".join(out)
