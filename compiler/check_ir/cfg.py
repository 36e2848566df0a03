"""Control-flow facts shared by the SMT encoder and the interpreter.

Loops are handled by counting back-edge traversals: a DFS from the entry
classifies back edges (edges into a block still on the DFS stack); removing
them leaves a DAG whose reverse postorder, together with the counts, orders
the unrolled graph. Both the encoder and the interpreter count the same way,
so a freeze value chosen at (instruction, counts) names the same dynamic
instance in both.
"""
from __future__ import annotations

from dataclasses import dataclass

from .ir_model import Function


def successors(fn: Function, block_key: int) -> tuple[int, ...]:
    term = fn.block(block_key).terminator
    return term.blocks if term.opcode in ("br", "switch") else ()


@dataclass(frozen=True)
class LoopInfo:
    back_edges: tuple[tuple[int, int], ...]   # (from block, to block), in a fixed order
    rpo_index: dict

    @property
    def has_loops(self) -> bool:
        return bool(self.back_edges)

    def edge_index(self, src: int, dst: int) -> int | None:
        try:
            return self.back_edges.index((src, dst))
        except ValueError:
            return None


def analyse_loops(fn: Function) -> LoopInfo:
    """Back edges and reverse-postorder indices, iteratively (no recursion limit)."""
    entry = fn.blocks[0].key
    back: list[tuple[int, int]] = []
    on_stack: set[int] = set()
    visited: set[int] = {entry}
    postorder: list[int] = []
    stack = [(entry, iter(successors(fn, entry)))]
    on_stack.add(entry)
    while stack:
        node, children = stack[-1]
        for child in children:
            if child in on_stack:
                if (node, child) not in back:
                    back.append((node, child))
            elif child not in visited:
                visited.add(child)
                on_stack.add(child)
                stack.append((child, iter(successors(fn, child))))
                break
        else:
            stack.pop()
            on_stack.discard(node)
            postorder.append(node)
    rpo = {key: i for i, key in enumerate(reversed(postorder))}
    return LoopInfo(tuple(back), rpo)
