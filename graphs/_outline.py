"""A graph's shape without its Python types: what a spec says, or what a run stored.

``outline`` reads a JSON spec with no registry: node kinds and ids, edges, routes, and the
graphs its map, loop and subgraph nodes use, with types as the text the spec writes. It
checks the format and how the document's graphs nest, but resolves no name: nothing is
imported or looked up. ``Outline.from_description`` reads the canonical description a
compiled graph stores with each run (``Graph.canonical()``); there, types are the names
it recorded and nested graphs are known only by their hash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeGuard

from plait.graphs._graph import INPUTS, Edge
from plait.graphs.spec._limits import SpecLimits
from plait.graphs.spec._read import SpecSource
from plait.graphs.spec._registry import Registry

if TYPE_CHECKING:
    from plait.graphs.spec._models import GraphSpec, NodeSpec

__all__ = ["PATTERN_KINDS", "Fact", "Outline", "OutlineNode", "outline"]

PATTERN_KINDS = frozenset({"chain", "parallel", "router", "orchestrator", "evaluator_optimizer"})
"""The node kinds of agent patterns, in specs and in stored graph descriptions."""

Fact = str | int | float | bool | None
"""A node's own setting, as JSON data: a join's ``policy``, a map's ``over``, ..."""

_DEFAULT_LIMITS = SpecLimits()
_ENUM_REPR = re.compile(r"^<[\w.]+: '(.*)'>$")


@dataclass(frozen=True, slots=True)
class OutlineNode:
    """One node of an outline: its id and kind, and its types as text (``""``: unknown)."""

    id: str
    kind: str
    output: str = ""
    inputs: Mapping[str, str] = field(default_factory=dict)
    """Input name -> its type as text."""
    facts: Mapping[str, Fact] = field(default_factory=dict)
    """What the kind adds: ``policy``, ``k``, ``over``, ``carry``, ``max_iterations``,
    ``max_items``, ``concurrency``, ``max_attempts``, ``timeout``, ``graph``."""
    body: Outline | None = None
    """The graph a map, loop or subgraph node runs, when it is known."""
    description: str = ""
    parts: tuple[tuple[str, str | Outline], ...] = ()
    """An agent pattern's parts in order, by role: a registered part's name, or the
    outline of a graph of the document (a nested pattern)."""

    @property
    def pattern(self) -> bool:
        """Whether the node is an agent pattern (``chain``, ``router``, ...), whose inner
        graph an outline does not know."""
        return self.kind in PATTERN_KINDS


@dataclass(frozen=True, slots=True)
class Outline:
    """A graph's inputs, nodes (sorted by id), edges (sorted), routes and output."""

    name: str
    inputs: Mapping[str, str]
    """Input name -> its type as text."""
    output: str
    """``node`` or ``node.field``."""
    nodes: tuple[OutlineNode, ...]
    edges: tuple[Edge, ...]
    routes: Mapping[str, Mapping[str, tuple[str, ...]]]
    """Router id -> route label -> the node ids that label leads to."""

    @property
    def output_type(self) -> str:
        """The type of the graph's result as text, or ``""`` when it is not known."""
        head, _, selected = self.output.partition(".")
        for node in self.nodes:
            if node.id == head and not selected:
                return node.output
        return ""

    @classmethod
    def from_description(cls, description: Mapping[str, object]) -> Outline:
        """The outline of a graph's canonical description (``Graph.canonical()``).

        Raises:
            ValueError: when ``description`` is not shaped like one.
        """
        name, inputs, output = (description.get(key) for key in ("name", "inputs", "output"))
        nodes, edges = description.get("nodes"), description.get("edges")
        routes = description.get("routes", {})
        if not (
            isinstance(name, str)
            and isinstance(output, str)
            and _is_text_map(inputs)
            and isinstance(nodes, list)
            and isinstance(edges, list)
            and all(isinstance(item, str) and " -> " in item for item in edges)
            and isinstance(routes, dict)
        ):
            raise ValueError("the stored graph description is not a plait graph description")
        return cls(
            name=name,
            inputs=dict(inputs),
            output=output,
            nodes=tuple(sorted((_described_node(item) for item in nodes), key=_by_id)),
            edges=tuple(sorted(_edge(*item.split(" -> ", 1)) for item in edges)),
            routes={str(router): _described_routes(table) for router, table in routes.items()},
        )


def outline(source: SpecSource, *, limits: SpecLimits = _DEFAULT_LIMITS) -> Outline:
    """The outline of a JSON spec's main graph, read without a registry.

    ``source`` is what ``plait.graphs.load`` takes: JSON text, a ``pathlib.Path``, or data.

    Raises:
        SpecError: listing every problem with the document's format, its limits, or how
            its graphs nest (unknown, unused or recursive graphs).
        OSError: when a path cannot be read.
    """
    from plait.graphs.spec._document import Document, check_limits, graph_order
    from plait.graphs.spec._errors import SpecError
    from plait.graphs.spec._parse import parse_document
    from plait.graphs.spec._read import read_document

    data, subject = read_document(source, limits)
    spec = parse_document(data, limits, subject)
    document = Document(Registry(), limits, [], {})
    graphs = [((), spec), *((("graphs", key), graph) for key, graph in spec.graphs.items())]
    check_limits(graphs, document)
    order = graph_order(spec, document)
    if document.problems:
        raise SpecError(document.problems, subject=subject)
    built: dict[str, Outline] = {}
    for key in order:  # each graph after the graphs it uses: no recursion
        body = spec.graphs[key]
        built[key] = _spec_outline(body, body.name or key, built)
    return _spec_outline(spec, spec.name, built)


def _spec_outline(spec: GraphSpec, name: str, built: Mapping[str, Outline]) -> Outline:
    nodes: list[OutlineNode] = []
    edges: list[Edge] = []
    routes: dict[str, dict[str, tuple[str, ...]]] = {}
    for node in spec.nodes:
        nodes.append(_spec_node(node, built))
        edges.extend(_edge(source, f"{node.id}.{input}") for input, source in node.inputs.items())
        if node.routes is not None:
            routes[node.id] = {
                label: (targets,) if isinstance(targets, str) else tuple(targets)
                for label, targets in node.routes.items()
            }
    return Outline(
        name=name,
        inputs=dict(spec.inputs),
        output=spec.output,
        nodes=tuple(sorted(nodes, key=_by_id)),
        edges=tuple(sorted(edges)),
        routes=routes,
    )


def _spec_node(node: NodeSpec, built: Mapping[str, Outline]) -> OutlineNode:
    from plait.graphs.spec._document import reference
    from plait.graphs.spec._models import HumanSpec

    data = node.model_dump(exclude_none=True)
    kind = str(data.pop("kind"))
    node_id = str(data.pop("id"))
    inputs = dict.fromkeys(data.pop("inputs", {}), "")
    retry = data.pop("retry", None)
    facts: dict[str, Fact] = {
        key: value for key, value in data.items() if isinstance(value, str | int | float | bool)
    }
    facts.update(_attempts(retry))
    used = reference(node)
    body = None if used is None else built.get(used[1])
    output = node.answer if isinstance(node, HumanSpec) else ""
    description = str(facts.pop("description", ""))
    parts = _spec_parts(node, built)
    return OutlineNode(node_id, kind, output, inputs, facts, body, description, parts)


def _spec_parts(
    node: NodeSpec, built: Mapping[str, Outline]
) -> tuple[tuple[str, str | Outline], ...]:
    """A pattern node's parts by role: names, or the outlines of the graphs they name."""
    from plait.graphs.spec._models import PATTERN_ROLES, GraphPart

    found: list[tuple[str, str | Outline]] = []
    for role in PATTERN_ROLES.get(node.kind, ()):
        value = getattr(node, role)
        for member in value if isinstance(value, list) else [value]:
            if isinstance(member, str):
                found.append((role, member))
            elif isinstance(member, GraphPart):  # None (no fan_in) is no part
                body = built.get(member.graph)
                found.append((role, member.graph if body is None else body))
    return tuple(found)


def _described_node(item: object) -> OutlineNode:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise ValueError("a node of the stored graph description has no id")
    inputs = {
        str(entry[0]): str(entry[1])
        for entry in item.get("inputs", [])
        if isinstance(entry, list) and len(entry) >= 2
    }
    facts: dict[str, Fact] = {
        key: value
        for key, value in item.items()
        if key not in ("id", "kind", "inputs", "output", "body", "graph")
        and isinstance(value, str | int | float | bool)
    }
    facts.update(_attempts(item.get("retry")))
    return OutlineNode(
        id=item["id"],
        kind=str(item.get("kind", "function")),
        output=str(item.get("output", "")),
        inputs=inputs,
        facts=facts,
    )


def _attempts(retry: object) -> dict[str, Fact]:
    """``max_attempts`` of a retry policy's data, when it has one."""
    found = retry.get("max_attempts") if isinstance(retry, dict) else None
    return {"max_attempts": found} if isinstance(found, int) else {}


def _described_routes(table: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, dict):
        raise ValueError("a route table of the stored graph description is not a mapping")
    return {
        _label(str(label)): tuple(str(target) for target in targets)
        for label, targets in table.items()
        if isinstance(targets, list)
    }


def _label(text: str) -> str:
    """A stored route label (``repr`` of the route key) as it was written."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    found = _ENUM_REPR.match(text)
    return found.group(1) if found else text


def _edge(source: str, target: str) -> Edge:
    """The edge ``source -> target``, both as written (``node.field``, ``node.input``)."""
    head, _, selected = source.partition(".")
    node, _, input_name = target.rpartition(".")
    if head == INPUTS:
        return Edge(INPUTS, selected, node, input_name)
    return Edge(head, selected or None, node, input_name)


def _is_text_map(value: object) -> TypeGuard[dict[str, str]]:
    return isinstance(value, dict) and all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    )


def _by_id(node: OutlineNode) -> str:
    return node.id
