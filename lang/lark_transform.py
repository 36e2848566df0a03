"""Lark's ``Transformer.transform`` without its recursion.

A long flat expression (``y + 1 + 1 ...``) is a parse tree as deep as it is
long, so both tree builders (source → AST, IR text → IR) walk the tree with an
explicit stack, children before parents, calling each rule method as lark would.
"""
from __future__ import annotations

from lark import Token, Transformer, Tree
from lark.visitors import Discard


class IterativeTransformer(Transformer):
    def transform(self, tree):
        results: list = []  # built values; a tree's children are the entries past its start
        stack: list = [(tree, None)]
        while stack:
            node, start = stack.pop()
            if not isinstance(node, Tree):
                visit = self.__visit_tokens__ and isinstance(node, Token)
                res = self._call_userfunc_token(node) if visit else node
            elif start is None:  # first visit: its children go first
                stack.append((node, len(results)))
                stack.extend((child, None) for child in reversed(node.children))
                continue
            else:
                children = [c for c in results[start:] if c is not Discard]
                del results[start:]
                res = self._call_userfunc(node, children)
            results.append(res)
        return None if results[0] is Discard else results[0]
