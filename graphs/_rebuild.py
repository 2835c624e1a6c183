"""Rebuilding a compiled graph with some of its nodes changed (bodies included)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from plait.graphs._builder import GraphBuilder
from plait.graphs._graph import Graph
from plait.graphs._kinds import LoopNode, MapNode, SubgraphNode
from plait.nodes import Node

__all__ = ["with_nodes"]

Change = Callable[[Node[object]], Node[object]]


def with_nodes(graph: Graph[object], change: Change) -> Graph[object]:
    """``graph`` compiled again with ``change(node)`` in place of every node, at any depth.

    ``change`` returns the node itself to keep it. The wiring, routes, inputs, output and
    policies stay as they are, and the result is validated like any build.

    Raises:
        GraphDefinitionError: when a changed node no longer fits its wiring.
    """
    builder = GraphBuilder(
        graph.name,
        inputs=dict(graph.inputs),
        retry=graph.retry,
        timeout=graph.timeout,
        pools=dict(graph.pools),
        description=graph.description,
    )
    for node in graph.nodes.values():
        builder.add(change(_inner(node, change)))
    for edge in graph.edges:
        builder.edge(edge.source_ref, edge.target_ref)
    for router, table in graph.routes.items():
        builder.route(router, dict(table))
    return builder.build(graph.output)


def _inner(node: Node[object], change: Change) -> Node[object]:
    if isinstance(node, SubgraphNode):
        return replace(node, graph=with_nodes(node.graph, change))
    if isinstance(node, MapNode | LoopNode):
        return replace(node, body=with_nodes(node.body, change))
    return node
