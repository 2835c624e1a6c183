"""Graph algorithms, through networkx: the only module that imports it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["Topology"]


class Topology:
    """The directed graph of node ids, built once per compile."""

    def __init__(self, nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> None:
        import networkx as nx  # imported lazily: ~100 ms that only compiling pays

        self._nx: Any = nx
        self._order = {name: index for index, name in enumerate(nodes)}
        self._graph: Any = nx.DiGraph()
        self._graph.add_nodes_from(nodes)
        self._graph.add_edges_from(edges)

    def cycles(self) -> list[list[str]]:
        """One cycle per strongly connected component (and self-loop), closed: a→b→a."""
        nx, graph, order = self._nx, self._graph, self._order
        found: list[list[str]] = []
        for component in nx.strongly_connected_components(graph):
            if len(component) == 1:
                (single,) = component
                if graph.has_edge(single, single):
                    found.append([single, single])
                continue
            start = min(component, key=order.__getitem__)
            loop = nx.find_cycle(graph.subgraph(component), source=start)
            found.append([str(source) for source, _ in loop] + [str(start)])
        found.sort(key=lambda path: order[path[0]])
        return found

    def topological_order(self) -> list[str] | None:
        """Node ids so that every edge points forward, or None when there is a cycle."""
        try:
            return list(self._nx.topological_sort(self._graph))
        except self._nx.NetworkXUnfeasible:
            return None

    def ancestors(self, of: str) -> set[str]:
        """Every node with a path to ``of``."""
        return {str(name) for name in self._nx.ancestors(self._graph, of)}
