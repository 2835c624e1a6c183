"""The document-level checks of a spec: its limits, and the graphs its nodes use.

Graph references are followed with an explicit stack, never by recursion: a chain of
10,000 nested graphs is a problem to report, not a RecursionError.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from plait.graphs._graph import INPUTS, Graph
from plait.graphs.spec._errors import Path, json_path, shown
from plait.graphs.spec._limits import SpecLimits
from plait.graphs.spec._models import (
    PATTERN_SPECS,
    DocumentSpec,
    GraphPart,
    GraphSpec,
    LoopSpec,
    MapSpec,
    SubgraphSpec,
)
from plait.graphs.spec._registry import Registry
from plait.nodes import Problem, close_matches

__all__ = ["Document", "check_limits", "graph_order", "hint", "reference"]


def reference(node: object) -> tuple[str, str] | None:
    """(field, graph key) of a node that uses a graph of the document."""
    if isinstance(node, SubgraphSpec):
        return "graph", node.graph
    if isinstance(node, MapSpec | LoopSpec):
        return "body", node.body
    return None


def _references(spec: GraphSpec) -> list[tuple[int, Path, str]]:
    """(node index, path of the field within the node, graph key) of each graph used."""
    found: list[tuple[int, Path, str]] = []
    for index, node in enumerate(spec.nodes):
        used = reference(node)
        if used is not None:
            found.append((index, (used[0],), used[1]))
        elif isinstance(node, PATTERN_SPECS):
            for field, value in node:
                if isinstance(value, GraphPart):
                    found.append((index, (field, "graph"), value.graph))
                elif isinstance(value, list):
                    found.extend(
                        (index, (field, i, "graph"), part.graph)
                        for i, part in enumerate(value)
                        if isinstance(part, GraphPart)
                    )
    return found


def hint(noun: str, name: str, known: Iterable[str], method: str) -> str:
    names = sorted(known)
    matches = close_matches(name, names)
    if matches:
        return "did you mean " + " or ".join(f"`{match}`" for match in matches) + "?"
    if "." in name or ":" in name or "/" in name:
        return (
            f"a spec names registered {noun}s, never import paths: register it in Python "
            f"(`registry.{method}(...)`) and load with that registry"
        )
    if names:
        listed = ", ".join(f"`{item}`" for item in names[:8])
        return f"registered {noun}s: {listed}" + (", ..." if len(names) > 8 else "")
    return (
        f"the registry has no {noun}s: register them (`registry.{method}(...)`) and load "
        "with that registry (on the command line: --import MODULE)"
    )


@dataclass
class Document:
    """What building one document shares: the registry, the limits, the problems so far,
    and the graphs already built by key (``None``: it had problems)."""

    registry: Registry
    limits: SpecLimits
    problems: list[Problem]
    built: dict[str, Graph[object] | None]

    def add(self, code: str, path: Path, message: str, hint: str = "") -> None:
        self.problems.append(Problem(code, json_path(path), message, hint))


def check_limits(graphs: Iterable[tuple[Path, GraphSpec]], document: Document) -> None:
    limits = document.limits
    widest = limits.max_fan_out
    for graph_path, spec in graphs:
        fed: dict[str, int] = {}
        for index, node in enumerate(spec.nodes):
            path = (*graph_path, "nodes", index)
            if len(node.inputs) > widest:
                document.add(
                    "too-wide",
                    (*path, "inputs"),
                    f"{len(node.inputs):,} inputs; the limit is {widest:,}",
                    "raise SpecLimits(max_fan_out=...) if it is meant to be this wide",
                )
            for name, source in node.inputs.items():
                head = source if source.startswith(f"{INPUTS}.") else source.split(".")[0]
                fed[head] = fed.get(head, 0) + 1
                if fed[head] == widest + 1:
                    document.add(
                        "too-wide",
                        (*path, "inputs", name),
                        f"`{head}` feeds more than {widest:,} inputs, the limit",
                        "raise SpecLimits(max_fan_out=...) if it is meant to be this wide",
                    )
            targets = sum(
                1 if isinstance(item, str) else len(item) for item in (node.routes or {}).values()
            )
            if targets > widest:
                document.add(
                    "too-wide",
                    (*path, "routes"),
                    f"routes to {targets:,} nodes; the limit is {widest:,}",
                    "raise SpecLimits(max_fan_out=...) if it is meant to be this wide",
                )
            if isinstance(node, LoopSpec) and node.max_iterations > limits.max_iterations:
                document.add(
                    "too-many-iterations",
                    (*path, "max_iterations"),
                    f"{node.max_iterations:,} iterations; the limit is {limits.max_iterations:,}",
                    "raise SpecLimits(max_iterations=...) if it is meant to run this long",
                )


def graph_order(spec: DocumentSpec, document: Document) -> list[str]:
    """The keys of ``graphs`` the main graph uses, each after the graphs it uses."""
    specs = spec.graphs
    uses = {key: _references(graph) for key, graph in specs.items()}
    listed: list[tuple[Path, list[tuple[int, Path, str]]]] = [
        ((), _references(spec)),
        *((("graphs", key), found) for key, found in uses.items()),
    ]
    for graph_path, references in listed:
        for index, field, name in references:
            if name not in specs:
                where = (*graph_path, "nodes", index, *field)
                document.add(
                    "unknown-graph",
                    where,
                    f"graph `{shown(name)}` is not in this spec's `graphs`",
                    hint("graph", name, specs, "graphs") if specs else "add it under `graphs`",
                )
    order: list[str] = []
    height: dict[str, int] = {}
    visiting: set[str] = set()
    main_references = listed[0][1]
    for _, _, root in main_references:
        if root not in specs or root in height or root in visiting:
            continue
        visiting.add(root)
        stack: list[tuple[str, Iterator[tuple[int, Path, str]]]] = [(root, iter(uses[root]))]
        while stack:
            key, pending = stack[-1]
            for index, inner_field, name in pending:
                if name in visiting:
                    document.add(
                        "recursive-graph",
                        ("graphs", key, "nodes", index, *inner_field),
                        f"graph `{shown(name)}` uses itself (through `{shown(key)}`)",
                        "graphs nest as a tree; repeat work with a loop node",
                    )
                elif name in specs and name not in height:
                    visiting.add(name)
                    stack.append((name, iter(uses[name])))
                    break
            else:
                stack.pop()
                visiting.discard(key)
                inner = [height.get(name, 0) for _, _, name in uses[key] if name in specs]
                height[key] = 1 + max(inner, default=0)
                order.append(key)
    deepest = max((height.get(name, 0) for _, _, name in main_references), default=0)
    if deepest + 1 > document.limits.max_graph_depth:
        document.add(
            "too-deep",
            (),
            f"graphs nest {deepest + 1:,} levels deep; the limit is "
            f"{document.limits.max_graph_depth:,}",
            "raise SpecLimits(max_graph_depth=...) if they are meant to nest this deep",
        )
    for key in specs:
        if key not in height:
            document.add(
                "unused-graph",
                ("graphs", key),
                "no node of the main graph (or of a graph it uses) uses it",
                "use it in a subgraph, map or loop node, or remove it",
            )
    return order
