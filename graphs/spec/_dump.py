"""Writing a compiled graph as a spec: every part by its registered name.

The result loads back (with the same registry) to a graph with the same content hash. A
part without a name, or a node option a spec cannot express, is a problem; all of them are
reported together, each at the path it would have had in the spec.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from plait.graphs._control import route_labels
from plait.graphs._graph import Graph
from plait.graphs.spec._dump_agents import POLICY_NUMBERS, dump_agent, same
from plait.graphs.spec._dump_nodes import (
    write_function,
    write_human,
    write_join,
    write_loop,
    write_map,
    write_subgraph,
)
from plait.graphs.spec._errors import Path, SpecError, json_path
from plait.graphs.spec._patterns import PATTERN_WRITERS
from plait.graphs.spec._registry import Registry
from plait.graphs.spec._text import TypeTextError, label_key, write_type
from plait.nodes import NO_RETRY, Node, Problem, RetryPolicy, type_name

__all__ = ["to_document"]

_DEFAULT_RETRY = RetryPolicy()
_KEY_ORDER = {
    key: index
    for index, key in enumerate(
        [
            *("id", "kind", "function", "agent", "graph", "body", "question", "answer"),
            *("model", "instructions", "prompt", "mcp", "inputs"),
            *("over", "carry", "max_iterations", "until", "policy", "k", "concurrency"),
            *("max_items", "collect_failures", "retry", "timeout", "pool", "blocking"),
            *("description", "cache", "executor", "isolation", "grace", "routes"),
        ]
    )
}
"""The order a node's keys are written in: what it is, what feeds it, then its options."""
_MAX_NESTING = 100
"""How deep graphs may nest in a dump: deeper is a problem, not a RecursionError."""


class _Dump:
    """One dump: the registry, the problems so far, and the graphs written by content hash."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.problems: list[Problem] = []
        self.keys: dict[str, str] = {}
        self.graphs: dict[str, dict[str, object]] = {}
        self.depth = 0

    def add(self, code: str, path: Path, message: str, hint: str = "") -> None:
        self.problems.append(Problem(code, json_path(path), message, hint))

    def number(self, value: float, path: Path) -> float:
        if isinstance(value, float) and not math.isfinite(value):
            self.add("unrepresentable", path, f"{value} cannot be written in JSON")
        return value

    def type_text(self, annotation: object, path: Path) -> str:
        try:
            return write_type(annotation, self.registry)
        except TypeTextError as error:
            self.add(
                "unregistered-type",
                path,
                str(error),
                f"register it: `registry.type({error.unknown}, name=...)`",
            )
            return "object"

    def policy(self, policy: RetryPolicy, path: Path) -> dict[str, object]:
        written: dict[str, object] = {"max_attempts": policy.max_attempts}
        for name in POLICY_NUMBERS:
            value = getattr(policy, name)
            if not same(value, getattr(_DEFAULT_RETRY, name)):
                written[name] = self.number(value, (*path, name))
        for name in ("retry_on", "give_up_on"):
            classes = getattr(policy, name)
            if classes == getattr(_DEFAULT_RETRY, name):
                continue
            names = []
            for index, error in enumerate(classes):
                found = self.registry._errors.name_of(error)
                if found is None:
                    shown = type_name(error, qualified=True)
                    self.add(
                        "unregistered-error",
                        (*path, name, index),
                        f"exception class `{shown}` is not registered",
                        f"register it: `registry.error({error.__name__})`",
                    )
                names.append(found or "Exception")
            written[name] = names
        return written

    def graph_key(self, graph: Graph[object], path: Path) -> str:
        """The key of ``graph`` in ``graphs``, writing it there the first time."""
        key = self.keys.get(graph.content_hash)
        if key is not None:
            return key
        if self.depth >= _MAX_NESTING:
            self.add("too-deep", path, f"graphs nest more than {_MAX_NESTING} levels deep")
            return graph.name
        key, number = graph.name, 1
        taken = set(self.keys.values())
        while key in taken:
            number += 1
            key = f"{graph.name}_{number}"
        self.keys[graph.content_hash] = key
        self.graphs[key] = {}  # reserve the place: bodies keep the order they are met in
        self.depth += 1
        written = self.graph(graph, ("graphs", key))
        self.depth -= 1
        if written.get("name") == key:
            del written["name"]
        self.graphs[key] = written
        return key

    def graph(self, graph: Graph[object], path: Path) -> dict[str, object]:
        written: dict[str, object] = {"name": graph.name}
        if graph.description:
            written["description"] = graph.description
        if graph.inputs:
            written["inputs"] = {
                name: self.type_text(tp, (*path, "inputs", name))
                for name, tp in graph.inputs.items()
            }
        written["output"] = graph.output
        if not same(graph.retry, NO_RETRY):
            written["retry"] = self.policy(graph.retry, (*path, "retry"))
        if graph.timeout is not None:
            written["timeout"] = self.number(graph.timeout, (*path, "timeout"))
        if graph.pools:
            written["pools"] = dict(graph.pools)
        wired: dict[str, dict[str, str]] = {}
        for edge in graph.edges:
            wired.setdefault(edge.target, {})[edge.input] = edge.source_ref
        nodes = []
        for index, node in enumerate(graph.nodes.values()):
            node_path = (*path, "nodes", index)
            inputs = wired.get(node.id, {})
            ordered = {item.name: inputs[item.name] for item in node.inputs if item.name in inputs}
            nodes.append(self.node(graph, node, ordered, node_path))
        written["nodes"] = nodes
        return written

    def node(
        self, graph: Graph[object], node: Node[object], inputs: dict[str, str], path: Path
    ) -> dict[str, object]:
        writer = _WRITERS.get(node.kind)
        if writer is None:
            self.add(
                "unsupported-kind",
                path,
                f"node `{node.id}` is a `{node.kind}` node, which spec format 1 cannot express",
            )
            return {"id": node.id, "kind": node.kind}
        written: dict[str, object] = {"id": node.id, "kind": node.kind}
        written.update(writer(self, node, path))
        if inputs:
            written["inputs"] = inputs
        if node.kind not in ("function", "agent"):  # these write their options themselves
            self.options(node, written, path)
        table = graph.routes.get(node.id)
        if table is not None:
            written["routes"] = self.routes(node, table, (*path, "routes"))
        return dict(sorted(written.items(), key=lambda item: _KEY_ORDER.get(item[0], 99)))

    def options(self, node: Node[object], written: dict[str, object], path: Path) -> None:
        """The retry, timeout and pool a kind's builder method takes, where set."""
        allowed = _OPTIONS.get(node.kind, _OPTIONS["subgraph"])  # patterns are subgraphs
        for name in ("retry", "timeout", "pool", "cache", "executor"):
            value = getattr(node, name)
            if name in written or value is None:
                continue
            if name not in allowed:
                self.add(
                    "unrepresentable",
                    (*path, name),
                    f"`{node.kind}` node `{node.id}` sets {name}, which a spec cannot express",
                    f"leave {name} unset on {node.kind} nodes",
                )
            elif isinstance(value, RetryPolicy):
                written[name] = self.policy(value, (*path, name))
            else:
                written[name] = self.number(value, (*path, name)) if name == "timeout" else value

    def routes(
        self, node: Node[object], table: Mapping[object, tuple[str, ...]], path: Path
    ) -> dict[str, list[str]]:
        found = route_labels(node.output)
        keys: dict[str, object] = {}
        for label in found[0] if found is not None else table:
            key = label_key(label)
            if key in keys and keys[key] != label:
                self.add(
                    "label-collision",
                    path,
                    f"labels {keys[key]!r} and {label!r} of `{node.id}` are both written `{key}`",
                    "give the router labels that differ as text",
                )
            keys.setdefault(key, label)
        return {label_key(label): list(targets) for label, targets in table.items()}


_WRITERS: dict[str, Callable[[_Dump, Any, Path], dict[str, object]]] = {
    "function": write_function,
    "agent": dump_agent,
    "subgraph": write_subgraph,
    "map": write_map,
    "loop": write_loop,
    "join": write_join,
    "human": write_human,
    **PATTERN_WRITERS,
}
"""How each node kind is written; a kind missing here cannot be dumped yet."""

_OPTIONS: dict[str, frozenset[str]] = {
    "subgraph": frozenset({"retry", "timeout", "pool"}),
    "map": frozenset({"retry", "timeout"}),
    "loop": frozenset({"retry", "timeout"}),
    "join": frozenset(),
    "human": frozenset({"timeout"}),
}
"""The node options each kind's builder method takes (and so a spec can hold)."""


def to_document(graph: Graph[object], registry: Registry) -> dict[str, object]:
    """The spec of ``graph`` as JSON-ready data.

    Raises:
        SpecError: naming every part that is not registered or cannot be expressed.
    """
    dump = _Dump(registry)
    main = dump.graph(graph, ())
    document: dict[str, object] = {"plait": "1", **main}
    if dump.graphs:
        document["graphs"] = dump.graphs
    if dump.problems:
        raise SpecError(dump.problems, subject=f"dumping graph `{graph.name}`")
    return document
