"""Stratification: order relations so none depends on itself through `not` or an aggregate.

The dependency graph has an edge head → body relation for every rule, marked
negative when the body atom sits under ``not`` or inside an aggregate (which
reads every fact of its relations, so they must be complete first). Its
strongly connected components, in dependency order, are the strata; a
negative edge inside a component is an error that names the cycle, and says
whether it runs through ``not`` or through which aggregate.
"""
from __future__ import annotations

from nsl.lang import ast as A
from nsl.lang.check.symbols import SymbolTable
from nsl.lang.diagnostics import Diagnostic, error, note
from nsl.lang.walk import atoms_in_body


def dependency_graph(program: A.Program, table: SymbolTable):
    """``{head: {body_rel: (through, span)}}``; ``through`` is None for a positive edge, else
    ``"not"`` or the aggregate's op (a negative edge wins over a positive one)."""
    graph: dict[str, dict[str, tuple[str | None, object]]] = {name: {} for name in table.relations}
    for stmt in program.statements:
        if not isinstance(stmt, A.Rule) or stmt.body is None:
            continue
        edges = graph.setdefault(stmt.head.rel, {})
        for atom, through in atoms_in_body(stmt.body):
            if atom.rel not in table.relations:
                continue
            if atom.rel not in edges or (through and not edges[atom.rel][0]):
                edges[atom.rel] = (through, atom.span)
    return graph


def strongly_connected(graph) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components come out dependencies first."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(sorted(component))
    return out


def stratify(program: A.Program, table: SymbolTable, diags: list[Diagnostic]) -> list[list[str]]:
    """Strata (lists of relation names) in evaluation order; report negative cycles."""
    graph = dependency_graph(program, table)
    components = strongly_connected(graph)
    for component in components:
        _report_negative_cycle(graph, component, set(component), diags)
    return components


def _report_negative_cycle(graph, component, members, diags) -> bool:
    """Report the first negative edge inside a component (one error per cycle)."""
    for head in component:
        for body_rel, (through, span) in sorted(graph.get(head, {}).items()):
            if through and body_rel in members:
                shown = " -> ".join(_cycle(graph, body_rel, head, members))
                if through == "not":
                    diags.append(error(
                        f"the program is not stratifiable: '{head}' depends on itself through negation "
                        f"(cycle: {shown})", span,
                        note("break the cycle, or compute the negated relation in an earlier stratum")))
                else:
                    diags.append(error(
                        f"the program is not stratifiable: '{head}' depends on itself through "
                        f"aggregation: this {through} reads '{body_rel}' (cycle: {shown})", span,
                        note(_aggregation_advice(head, body_rel))))
                return True
    return False


def _aggregation_advice(head: str, body_rel: str) -> str:
    if head == body_rel:
        return (f"an aggregate reads every fact of '{head}', which cannot be complete while this rule "
                "still derives them: aggregate over a relation computed before it")
    return (f"an aggregate reads every fact of '{body_rel}', so '{body_rel}' must be complete before "
            f"'{head}' is computed, yet it depends on '{head}': break the cycle, or aggregate over a "
            "relation computed before both")


def _cycle(graph, start: str, goal: str, members: set) -> list[str]:
    """A shortest path start → ... → goal inside the component, closed into a cycle goal → start → ... → goal."""
    from collections import deque

    prev = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for nxt in sorted(graph.get(node, ())):
            if nxt in members and nxt not in prev:
                prev[nxt] = node
                queue.append(nxt)
    path, node = [], goal
    while node is not None:
        path.append(node)
        node = prev.get(node)
    path.reverse()  # start ... goal
    return [goal] + path
