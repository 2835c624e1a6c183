"""The standard-library graph algorithms give exactly what networkx gave, order included.

Compiling once used networkx; these tests keep its answers (the cycle shown in an error,
the topological order a run follows) as the reference, on random directed graphs.
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from plait.graphs._algorithms import Topology

NAMES = [f"n{index}" for index in range(8)]

EDGES = st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES)), max_size=20)


def _networkx(nodes: list[str], edges: list[tuple[str, str]]) -> Any:
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    return graph


def _networkx_cycles(nodes: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """The cycles as compiling computed them with networkx."""
    graph, order = _networkx(nodes, edges), {name: index for index, name in enumerate(nodes)}
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


@settings(max_examples=400, deadline=None)
@given(st.permutations(NAMES), EDGES)
def test_cycles_are_the_ones_networkx_found(nodes: list[str], edges: list[tuple[str, str]]) -> None:
    assert Topology(nodes, edges).cycles() == _networkx_cycles(nodes, edges)


@settings(max_examples=400, deadline=None)
@given(st.permutations(NAMES), EDGES)
def test_topological_order_is_the_one_networkx_gave(
    nodes: list[str], edges: list[tuple[str, str]]
) -> None:
    graph = _networkx(nodes, edges)
    try:
        expected: list[str] | None = list(nx.topological_sort(graph))
    except nx.NetworkXUnfeasible:
        expected = None
    assert Topology(nodes, edges).topological_order() == expected


@settings(max_examples=200, deadline=None)
@given(st.permutations(NAMES), EDGES)
def test_ancestors_are_the_ones_networkx_found(
    nodes: list[str], edges: list[tuple[str, str]]
) -> None:
    topology, graph = Topology(nodes, edges), _networkx(nodes, edges)
    for name in nodes:
        assert topology.ancestors(name) == nx.ancestors(graph, name)


def test_a_ten_thousand_node_chain_needs_no_recursion() -> None:
    nodes = [f"n{index}" for index in range(10_000)]
    edges = list(itertools.pairwise(nodes))
    topology = Topology(nodes, [*edges, (nodes[-1], nodes[0])])

    assert Topology(nodes, edges).topological_order() == nodes
    assert topology.topological_order() is None
    assert topology.cycles() == [[*nodes, nodes[0]]]
