"""Wiring checks: node settings, edges and their types, graph inputs, the output."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plait.graphs._definition import Definition, ProblemSink
from plait.graphs._graph import INPUTS, Edge, Getter
from plait.graphs._resolve import (
    did_you_mean,
    resolve_source,
    resolve_target,
    type_hint,
    walk_fields,
)
from plait.nodes import Node, is_assignable, type_name

__all__ = [
    "Wiring",
    "check_graph_timeout",
    "check_missing_inputs",
    "check_nodes",
    "check_pools",
    "check_unused_inputs",
    "resolve_output",
    "wire_edges",
]

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")


@dataclass(frozen=True, slots=True)
class Wiring:
    """The edges that resolved, and which inputs they (or a broken edge) feed."""

    edges: list[Edge] = field(default_factory=list)
    getters: dict[Edge, Getter | None] = field(default_factory=dict)
    fed: dict[tuple[str, str], Edge] = field(default_factory=dict)
    """(node, input) -> the edge feeding it."""
    attempted: set[tuple[str, str]] = field(default_factory=set)
    """(node, input) targeted by an edge whose source is broken (and already reported)."""


def check_nodes(definition: Definition, report: ProblemSink) -> None:
    """Each node's own problems, then its id, pool and timeout."""
    for node in definition.nodes.values():
        for found in node.problems:
            report(found.code, found.location, found.message, found.hint)
        _check_id(node, report)
        _check_pool(node, definition, report)
        _check_timeout(node, report)


def _check_id(node: Node[object], report: ProblemSink) -> None:
    if any(found.code == "missing-id" for found in node.problems):
        return  # already reported: no id to judge
    if node.id == INPUTS or not _ID.match(node.id):
        report(
            "invalid-id",
            f"node `{node.id}`",
            "ids are letters, digits, `_` and `-`, not starting with a digit"
            + (f"; `{INPUTS}` is reserved for graph inputs" if node.id == INPUTS else ""),
            "pass another id=... to add()",
        )


def _check_pool(node: Node[object], definition: Definition, report: ProblemSink) -> None:
    if node.pool is not None and node.pool not in definition.pools:
        report(
            "unknown-pool",
            f"node `{node.id}`",
            f"pool `{node.pool}` is not declared",
            did_you_mean(node.pool, list(definition.pools))
            or f"declare it: GraphBuilder(..., pools={{{node.pool!r}: N}})",
        )


def _check_timeout(node: Node[object], report: ProblemSink) -> None:
    if node.timeout is not None and node.timeout <= 0:
        report(
            "invalid-timeout",
            f"node `{node.id}`",
            f"timeout must be positive, got {node.timeout}",
            "",
        )


def check_pools(definition: Definition, report: ProblemSink) -> None:
    """Every declared pool has a positive int size."""
    for pool, size in definition.pools.items():
        if not isinstance(size, int) or size < 1:
            report("invalid-pool", f"pool `{pool}`", f"size must be a positive int, got {size}", "")


def check_graph_timeout(definition: Definition, report: ProblemSink) -> None:
    """The graph's timeout, when set, is positive."""
    timeout = definition.timeout
    if timeout is not None and timeout <= 0:
        report(
            "invalid-timeout",
            f"graph `{definition.name}`",
            f"timeout must be positive, got {timeout}",
            "",
        )


def wire_edges(definition: Definition, report: ProblemSink) -> Wiring:
    """Resolve every edge; report broken references, inputs fed twice and type mismatches."""
    wiring = Wiring()
    for raw in definition.edges:
        location = f"edge `{raw.source}` -> `{raw.target}`"
        source = resolve_source(definition, raw.source, location, report)
        target = resolve_target(definition, raw.target, location, report)
        if target is not None and source is None:
            wiring.attempted.add(target)  # its edge is already reported; not "missing" as well
        if source is None or target is None:
            continue
        edge = Edge(source.node, source.field, target[0], target[1])
        previous = wiring.fed.get(target)
        if previous is not None:
            report(
                "duplicate-edge",
                f"input `{edge.target_ref}`",
                f"fed twice: by `{previous.source_ref}` and by `{edge.source_ref}`",
                "an input takes one edge; combine the values in a node first",
            )
            continue
        wiring.fed[target] = edge
        wanted = definition.nodes[edge.target].input(edge.input)
        assert wanted is not None
        if not is_assignable(source.type, wanted.annotation):
            report(
                "type-mismatch",
                f"edge `{edge.source_ref}` -> `{edge.target_ref}`",
                f"`{edge.source_ref}` is `{type_name(source.type)}`, `{edge.target_ref}` "
                f"expects `{type_name(wanted.annotation)}`",
                type_hint(source, wanted.annotation),
            )
        wiring.edges.append(edge)
        wiring.getters[edge] = source.getter
    return wiring


def check_missing_inputs(definition: Definition, wiring: Wiring, report: ProblemSink) -> None:
    """Every required node input has an edge (a broken one counts: it is reported already)."""
    for node in definition.nodes.values():
        for item in node.inputs:
            key = (node.id, item.name)
            if not item.required or key in wiring.fed or key in wiring.attempted:
                continue
            hint = (
                f"wire it: edge('inputs.{item.name}', '{node.id}.{item.name}')"
                if item.name in definition.inputs
                else f"add an edge into `{node.id}.{item.name}` or give it a default"
            )
            report(
                "missing-input",
                f"input `{node.id}.{item.name}`",
                f"required input (`{type_name(item.annotation)}`) has no edge",
                hint,
            )


def check_unused_inputs(definition: Definition, report: ProblemSink) -> None:
    """Every graph input is read by some edge."""
    read = {
        raw.source.split(".", 2)[1]
        for raw in definition.edges
        if raw.source.startswith(f"{INPUTS}.")
    }
    for input_name in definition.inputs:
        if input_name not in read:
            report(
                "unused-input",
                f"graph input `{input_name}`",
                "no edge reads it",
                f"wire it to a node (`inputs.{input_name}` -> `node.input`) or remove it",
            )


def resolve_output(definition: Definition, report: ProblemSink) -> tuple[object, Getter | None]:
    """The output's type and getter; ``(object, None)`` after reporting a broken output."""
    head, _, path = definition.output.partition(".")
    node = definition.nodes.get(head)
    if node is None:
        report(
            "unknown-output",
            f"graph `{definition.name}` output",
            f"`{head}` is not a node",
            did_you_mean(head, list(definition.nodes))
            or "build(output) names the node whose value is returned",
        )
        return object, None
    if not path:
        return node.output, None
    walked = walk_fields(head, node.output, path, "graph output", report)
    return (object, None) if walked is None else walked
