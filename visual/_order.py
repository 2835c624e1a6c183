"""The order diagrams are drawn in: nodes by depth then id, edges inputs first.

Never dict order or ``id()``: equal graphs give equal diagrams.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from plait.graphs import INPUTS, Edge

__all__ = ["Routes", "edge_order", "layout_order"]

Routes = Mapping[str, Mapping[object, Sequence[str]]] | Mapping[str, Mapping[str, Sequence[str]]]
"""Router id -> route label -> the node ids that label leads to."""


def layout_order(nodes: Collection[str], edges: Iterable[Edge], routes: Routes) -> list[str]:
    """Node ids by (longest path from the inputs, id): stable, and a good layout order."""
    pairs = {
        (edge.source, edge.target)
        for edge in edges
        if edge.source in nodes and edge.target in nodes
    }
    pairs.update(
        (router, target)
        for router, table in routes.items()
        for targets in table.values()
        for target in targets
        if router in nodes and target in nodes
    )
    outgoing: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    waiting = dict.fromkeys(nodes, 0)
    for tail, head in pairs:
        outgoing[tail].append(head)
        waiting[head] += 1
    depth = dict.fromkeys(nodes, 0)
    ready = [node_id for node_id, count in waiting.items() if count == 0]
    while ready:
        tail = ready.pop()
        for head in outgoing[tail]:
            depth[head] = max(depth[head], depth[tail] + 1)
            waiting[head] -= 1
            if waiting[head] == 0:
                ready.append(head)
    return sorted(nodes, key=lambda node_id: (depth[node_id], node_id))


def edge_order(edge: Edge) -> tuple[bool, str, str, str, str]:
    """Sort key of edges: graph inputs first, then by source, field, target and input."""
    source = "" if edge.source == INPUTS else edge.source  # graph inputs first
    return (edge.source != INPUTS, source, edge.field or "", edge.target, edge.input)
