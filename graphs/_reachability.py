"""Reachability checks: cycles, nodes that can never run, outputs that reach nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from plait.graphs._algorithms import Topology
from plait.graphs._checks import Wiring
from plait.graphs._definition import Definition, ProblemSink
from plait.graphs._graph import INPUTS, Edge

__all__ = ["check_cycles", "check_dead_ends", "check_unreachable"]


def check_cycles(topology: Topology, report: ProblemSink) -> None:
    """Report each cycle: graphs are acyclic."""
    for loop in topology.cycles():
        report(
            "cycle",
            " -> ".join(f"`{step}`" for step in loop),
            "graphs are acyclic",
            "break the cycle; repeat work with a loop node that has max_iterations",
        )


def check_unreachable(
    definition: Definition,
    wiring: Wiring,
    control: Sequence[tuple[str, str]],
    order: Sequence[str],
    report: ProblemSink,
) -> None:
    """Nodes that wait for a node that can never run (``order`` is topological)."""
    incoming: dict[str, list[Edge]] = {node_id: [] for node_id in definition.nodes}
    for edge in wiring.edges:
        incoming[edge.target].append(edge)
    deciders: dict[str, list[str]] = {}
    for router, routed in control:
        deciders.setdefault(routed, []).append(router)
    runnable: set[str] = set()
    for node_id in order:
        node = definition.nodes[node_id]
        complete = all((node_id, item.name) in wiring.fed for item in node.inputs if item.required)
        waits_for = {edge.source for edge in incoming[node_id] if edge.source != INPUTS} | set(
            deciders.get(node_id, ())
        )
        blockers = sorted(waits_for - runnable)
        if complete and not blockers:
            runnable.add(node_id)
        elif blockers:
            report(
                "unreachable",
                f"node `{node_id}`",
                "can never run: it waits for "
                + ", ".join(f"`{blocker}`" for blocker in blockers)
                + ", which can never run",
                "fix the problems reported for those nodes",
            )


def check_dead_ends(
    definition: Definition,
    wiring: Wiring,
    routes: Mapping[str, object],
    topology: Topology,
    report: ProblemSink,
) -> None:
    """Nodes whose output reaches neither another node nor the graph output."""
    output = definition.output.partition(".")[0]
    if output not in definition.nodes:
        return  # reported as unknown-output: nothing to measure against
    feeds_output = topology.ancestors(output) | {output}
    consumers = {edge.source for edge in wiring.edges} | set(routes)
    for node_id, node in definition.nodes.items():
        if node_id in feeds_output or node.output is type(None) or node_id in consumers:
            continue
        report(
            "dead-end",
            f"node `{node_id}`",
            "its output reaches neither another node nor the graph output",
            "connect it, make it the output, or return None for a side-effect node",
        )
