"""Graph algorithms for compiling: topological order, ancestors, cycles, in the standard library.

Compiling needs three small algorithms, so they are written here rather than imported:
networkx cost ~14 MB of resident memory and ~100 ms of import for them
(docs/adr-009-graph-algorithms.md). The results match what networkx 3 returned, order
included: Kahn's algorithm by generations for the order, and for each cycle the same
depth-first walk over edges in insertion order, so error messages did not change.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

__all__ = ["Topology"]


class Topology:
    """The directed graph of node ids, built once per compile."""

    def __init__(self, nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> None:
        self._order = {name: index for index, name in enumerate(nodes)}
        # dicts as ordered sets: iteration follows insertion, like networkx's adjacency
        self._successors: dict[str, dict[str, None]] = {}
        self._predecessors: dict[str, dict[str, None]] = {}
        for name in nodes:
            self._add(name)
        for source, target in edges:
            self._add(source)
            self._add(target)
            self._successors[source][target] = None
            self._predecessors[target][source] = None

    def _add(self, name: str) -> None:
        if name not in self._successors:
            self._successors[name] = {}
            self._predecessors[name] = {}

    def cycles(self) -> list[list[str]]:
        """One cycle per strongly connected component (and self-loop), closed: a→b→a."""
        found: list[list[str]] = []
        for component in self._components():
            if len(component) == 1:
                (single,) = component
                if single in self._successors[single]:
                    found.append([single, single])
                continue
            start = min(component, key=self._order.__getitem__)
            loop = self._find_cycle(component, start)
            found.append([source for source, _ in loop] + [start])
        found.sort(key=lambda path: self._order[path[0]])
        return found

    def topological_order(self) -> list[str] | None:
        """Node ids so that every edge points forward, or None when there is a cycle."""
        waiting = {name: len(before) for name, before in self._predecessors.items() if before}
        ready = [name for name, before in self._predecessors.items() if not before]
        order: list[str] = []
        while ready:
            generation, ready = ready, []
            for name in generation:
                for after in self._successors[name]:
                    waiting[after] -= 1
                    if waiting[after] == 0:
                        ready.append(after)
                        del waiting[after]
            order.extend(generation)
        return None if waiting else order

    def ancestors(self, of: str) -> set[str]:
        """Every node with a path to ``of``."""
        found: set[str] = set()
        frontier = [of]
        while frontier:
            for before in self._predecessors[frontier.pop()]:
                if before not in found and before != of:
                    found.add(before)
                    frontier.append(before)
        return found

    def _components(self) -> list[set[str]]:
        """The strongly connected components (Tarjan's algorithm, without recursion)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        components: list[set[str]] = []
        for root in self._successors:
            if root in index:
                continue
            work = [(root, iter(self._successors[root]))]
            index[root] = low[root] = len(index)
            stack.append(root)
            on_stack.add(root)
            while work:
                name, successors = work[-1]
                after = next(successors, None)
                if after is None:
                    work.pop()
                    if work:
                        low[work[-1][0]] = min(low[work[-1][0]], low[name])
                    if low[name] == index[name]:
                        components.append(self._pop_component(name, stack, on_stack))
                elif after not in index:
                    index[after] = low[after] = len(index)
                    stack.append(after)
                    on_stack.add(after)
                    work.append((after, iter(self._successors[after])))
                elif after in on_stack:
                    low[name] = min(low[name], index[after])
        return components

    @staticmethod
    def _pop_component(top: str, stack: list[str], on_stack: set[str]) -> set[str]:
        component: set[str] = set()
        while True:
            name = stack.pop()
            on_stack.discard(name)
            component.add(name)
            if name == top:
                return component

    def _edges_depth_first(self, within: set[str], start: str) -> Iterator[tuple[str, str]]:
        """Every edge reachable from ``start`` inside ``within``, as networkx's edge_dfs."""
        stack = [start]
        pending: dict[str, Iterator[str]] = {}
        while stack:
            name = stack[-1]
            if name not in pending:
                pending[name] = (after for after in self._successors[name] if after in within)
            after = next(pending[name], None)
            if after is None:
                stack.pop()
            else:
                stack.append(after)
                yield name, after

    def _find_cycle(self, within: set[str], start: str) -> list[tuple[str, str]]:
        """The first cycle the depth-first walk from ``start`` closes, as networkx's find_cycle."""
        path: list[tuple[str, str]] = []
        active = {start}
        previous_head: str | None = None
        for tail, head in self._edges_depth_first(within, start):
            if previous_head is not None and tail != previous_head:
                path, active = _backtrack(path, active, tail)
            path.append((tail, head))
            if head in active:
                for position, (source, _) in enumerate(path):  # noqa: B007
                    if source == head:
                        break
                return path[position:]
            active.add(head)
            previous_head = head
        raise AssertionError(f"no cycle from `{start}` in a strongly connected component")


def _backtrack(
    path: list[tuple[str, str]], active: set[str], tail: str
) -> tuple[list[tuple[str, str]], set[str]]:
    """Pop the walked path back to the edge ending at ``tail``."""
    while path:
        active.remove(path.pop()[1])
        if path and path[-1][1] == tail:
            return path, active
    return [], {tail}
