"""Planning a checked graph: typed joins, the steps the engine runs, the compiled Graph."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from plait.graphs._canonical import canonical_form, content_hash
from plait.graphs._checks import Wiring
from plait.graphs._control import (
    exclusive_regions,
    route_edges,
    route_labels,
    static_bound,
    typed_join,
)
from plait.graphs._definition import Definition
from plait.graphs._graph import INPUTS, Getter, Graph, Plan, Step, Target
from plait.graphs._kinds import JoinNode
from plait.graphs._resolve import resolve_source
from plait.nodes import FunctionNode, Node

__all__ = ["plan_graph", "type_joins"]

Routes = Mapping[str, Mapping[object, tuple[str, ...]]]


def _silent(code: str, location: str, message: str, hint: str) -> None:
    """Drop a problem: the checks that follow report it."""


def type_joins(definition: Definition) -> dict[str, Node[object]]:
    """The nodes, each join typed by what is wired into it (joins may feed joins)."""
    nodes = dict(definition.nodes)
    live = replace(definition, nodes=nodes)  # sees each join as soon as it is typed
    joins = [node_id for node_id, node in nodes.items() if isinstance(node, JoinNode)]
    for _ in range(len(joins)):
        changed = False
        for join_id in joins:
            join = nodes[join_id]
            assert isinstance(join, JoinNode)
            types: dict[str, object] = {}
            for raw in definition.edges:
                head, _, input_name = raw.target.partition(".")
                if head != join_id or not input_name:
                    continue
                source = resolve_source(live, raw.source, "", _silent)
                if source is not None:
                    types[input_name] = source.type
            typed = typed_join(join, types)
            if typed != join:
                nodes[join_id] = typed
                changed = True
        if not changed:
            break
    return nodes


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each node sits in the plan and what it waits for."""

    index: Mapping[str, int]
    required: Mapping[str, int]
    targets: Mapping[str, list[Target]]
    routes: Routes
    regions: Mapping[str, tuple[str, str]]


def _regions(
    definition: Definition, order: Sequence[str], routes: Routes, wiring: Wiring
) -> dict[str, tuple[str, str]]:
    """Node -> (join, input) for every node whose work only feeds that input of a racing join."""
    successors: dict[str, set[str]] = {}
    node_edges = [(edge.source, edge.target) for edge in wiring.edges if edge.source != INPUTS]
    for before, after in node_edges + route_edges(routes):
        successors.setdefault(before, set()).add(after)
    regions: dict[str, tuple[str, str]] = {}
    for node in definition.nodes.values():
        if isinstance(node, JoinNode) and node.policy != "all":
            incoming = [edge for edge in wiring.edges if edge.target == node.id]
            found = exclusive_regions(node.id, incoming, successors, order)
            for member, input_name in found.items():
                regions[member] = (node.id, input_name)
    return regions


def _plan(
    definition: Definition,
    order: Sequence[str],
    routes: Routes,
    wiring: Wiring,
    output_getter: Getter | None,
) -> Plan:
    index = {node_id: position for position, node_id in enumerate(order)}
    targets: dict[str, list[Target]] = {node_id: [] for node_id in order}
    input_targets: dict[str, list[Target]] = {name: [] for name in definition.inputs}
    required = dict.fromkeys(order, 0)
    for edge in wiring.edges:
        target = Target(index[edge.target], edge.input, wiring.getters[edge])
        if edge.source == INPUTS:
            assert edge.field is not None
            input_targets[edge.field.partition(".")[0]].append(target)
        else:
            targets[edge.source].append(target)
            required[edge.target] += 1
    for table in routes.values():
        for routed in {routed for ids in table.values() for routed in ids}:
            required[routed] += 1
    layout = _Layout(index, required, targets, routes, _regions(definition, order, routes, wiring))
    steps = tuple(_step(definition, definition.nodes[node_id], layout) for node_id in order)
    members: dict[tuple[int, str], list[int]] = {}
    for step in steps:
        if step.region is not None:
            members.setdefault(step.region, []).append(step.index)
    roots = tuple(step.index for step in steps if step.required == 0)
    return Plan(
        steps=steps,
        roots=roots,
        inputs=tuple((name, tuple(found)) for name, found in input_targets.items()),
        output_step=index[definition.output.partition(".")[0]],
        output_getter=output_getter,
        joins=tuple(step.index for step in steps if isinstance(step.node, JoinNode)),
        agents=any(_has_agents(step.node) for step in steps),
        regions={region: tuple(found) for region, found in members.items()},
        sequential=len(roots) <= 1
        and all(
            len({target.step for target in step.targets}) <= 1 and not step.route_targets
            for step in steps
        ),
    )


def _has_agents(node: Node[object]) -> bool:
    """Whether ``node`` is an agent or holds one in its body (by kind, so that compiling
    never loads the LLM side)."""
    if node.kind == "agent":
        return True
    body = getattr(node, "body", None) or getattr(node, "graph", None)
    return isinstance(body, Graph) and body.plan.agents


def _step(definition: Definition, node: Node[object], layout: _Layout) -> Step:
    index = layout.index
    table = layout.routes.get(node.id)
    region = layout.regions.get(node.id)
    policy = None if region is None else getattr(definition.nodes[region[0]], "policy", None)
    need = 0
    if isinstance(node, JoinNode):
        count = len(node.inputs)
        need = {"first": 1, "k_of_n": node.k or count}.get(node.policy, count)
    labels = route_labels(node.output) if table is not None else None
    retry = node.retry or definition.retry
    timeout = node.timeout if node.timeout is not None else definition.timeout
    return Step(
        index=index[node.id],
        node=node,
        required=layout.required[node.id],
        targets=tuple(layout.targets[node.id]),
        retry=retry,
        timeout=timeout,
        routes=None
        if table is None
        else {label: tuple(index[t] for t in ts) for label, ts in table.items()},
        route_targets=()
        if table is None
        else tuple(sorted({index[t] for ts in table.values() for t in ts})),
        multi_route=table is not None and labels is not None and labels[1],
        region=None if region is None else (index[region[0]], region[1]),
        cancellable=policy in ("first", "k_of_n"),
        collecting=policy == "collect",
        join_need=need,
        optional=frozenset(item.name for item in node.inputs if not item.required),
        direct=isinstance(node, FunctionNode)
        and node.is_async
        and node.context_parameter is None
        and retry.max_attempts == 1
        and timeout is None
        and node.pool is None
        and table is None
        and region is None,
    )


def plan_graph(
    definition: Definition,
    order: Sequence[str],
    routes: Routes,
    wiring: Wiring,
    output: tuple[object, Getter | None],
) -> Graph[object]:
    """The compiled graph of a definition that passed every check (nodes in ``order``)."""
    output_type, output_getter = output
    canonical = canonical_form(definition, wiring.edges, routes)
    nodes = definition.nodes
    return Graph(
        name=definition.name,
        nodes=MappingProxyType({node_id: nodes[node_id] for node_id in nodes}),
        edges=tuple(wiring.edges),
        inputs=MappingProxyType(dict(definition.inputs)),
        output=definition.output,
        output_type=output_type,
        retry=definition.retry,
        timeout=definition.timeout,
        pools=MappingProxyType(dict(definition.pools)),
        routes=MappingProxyType(
            {router: MappingProxyType(dict(table)) for router, table in routes.items()}
        ),
        bound=static_bound(nodes, definition.retry.max_attempts),
        description=definition.description,
        plan=_plan(definition, order, routes, wiring, output_getter),
        content_hash=content_hash(canonical),
        canonical=MappingProxyType(canonical),
    )
