"""Node paths against a graph: their logical order, and the inputs each execution received.

A path names one node execution: ``id`` at the top, ``outer/inner`` inside a subgraph,
``each[3]/inner`` inside item 3 of a map, ``again[2]/inner`` inside turn 2 of a loop.
Its sort key is, segment by segment, (the node's topological position in its graph, the
item or turn index), so a trace lists a composite node, then its items or turns in order,
each in the body's topological order — never in the order things happened to finish.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from plait.graphs import Graph, LoopNode, MapNode, Step, SubgraphNode, Target

__all__ = ["GraphIndex", "Located"]

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)(?:\[(\d+)\])?\Z")
_UNKNOWN = 1 << 62

SortKey = tuple[tuple[tuple[int, int], ...], str]


@dataclass(frozen=True, slots=True)
class Located:
    """Where a path's node is: its graph, its step, and the path of the scope it ran in."""

    graph: Graph[object]
    step: Step
    scope: str
    """``""`` at the top; else the path prefix of the body run (``outer``, ``each[3]``)."""


class GraphIndex:
    """Answers questions about the node paths of one graph's runs."""

    def __init__(self, graph: Graph[object]) -> None:
        self.graph = graph
        self.steps: dict[int, dict[str, Step]] = {}
        self.sources: dict[int, dict[int, list[tuple[int, Target]]]] = {}

    def _steps(self, graph: Graph[object]) -> dict[str, Step]:
        found = self.steps.get(id(graph))
        if found is None:
            found = {step.node.id: step for step in graph.plan.steps}
            self.steps[id(graph)] = found
        return found

    def _sources(self, graph: Graph[object]) -> dict[int, list[tuple[int, Target]]]:
        """Target step -> (source step, target) for every value that flows into it."""
        found = self.sources.get(id(graph))
        if found is None:
            found = {}
            for step in graph.plan.steps:
                for target in step.targets:
                    found.setdefault(target.step, []).append((step.index, target))
            self.sources[id(graph)] = found
        return found

    def locate(self, path: str) -> Located | None:
        """The node a path names, or ``None`` when the graph has no such node."""
        graph = self.graph
        scope = ""
        segments = path.split("/")
        for number, segment in enumerate(segments):
            match = _SEGMENT.match(segment)
            step = self._steps(graph).get(match.group(1)) if match else None
            if match is None or step is None:
                return None
            if number == len(segments) - 1:
                return Located(graph, step, scope) if match.group(2) is None else None
            body = _body(step)
            if body is None:
                return None
            scope = segment if not scope else f"{scope}/{segment}"
            graph = body
        return None  # pragma: no cover - the loop always returns

    def sort_key(self, path: str) -> SortKey:
        """Logical order: by position in each graph along the path, then item or turn index."""
        graph: Graph[object] | None = self.graph
        parts: list[tuple[int, int]] = []
        for segment in path.split("/"):
            match = _SEGMENT.match(segment)
            step = self._steps(graph).get(match.group(1)) if match and graph else None
            if match is None or step is None:
                parts.append((_UNKNOWN, 0))
                graph = None
                continue
            index = match.group(2)
            parts.append((step.index, -1 if index is None else int(index)))
            graph = _body(step)
        return tuple(parts), path

    def inputs(
        self, path: str, outputs: Mapping[str, object], run_inputs: Mapping[str, object]
    ) -> dict[str, object] | None:
        """The inputs the execution at ``path`` received, rebuilt from the graph's edges.

        ``outputs`` holds every succeeded execution's value by path. ``None`` when they
        cannot be rebuilt (an unknown path, or a scope whose inputs are unknown).
        """
        located = self.locate(path)
        if located is None:
            return None
        scope_inputs = self._scope_inputs(located.scope, outputs, run_inputs)
        if scope_inputs is None:
            return None
        graph, index = located.graph, located.step.index
        prefix = f"{located.scope}/" if located.scope else ""
        values: dict[str, object] = {}
        for name, targets in graph.plan.inputs:
            for target in targets:
                if target.step == index and name in scope_inputs:
                    _deliver(values, target, scope_inputs[name])
        for source, target in self._sources(graph).get(index, ()):
            source_path = prefix + graph.plan.steps[source].node.id
            if source_path in outputs:
                _deliver(values, target, outputs[source_path])
        return values

    def _scope_inputs(
        self, scope: str, outputs: Mapping[str, object], run_inputs: Mapping[str, object]
    ) -> Mapping[str, object] | None:
        """The inputs a body run received (the run's own inputs at the top)."""
        if not scope:
            return run_inputs
        head, _, last = scope.rpartition("/")
        match = _SEGMENT.match(last)
        assert match is not None, scope  # locate() checked every segment
        node_path = f"{head}/{match.group(1)}" if head else match.group(1)
        located = self.locate(node_path)
        base = self.inputs(node_path, outputs, run_inputs)
        if located is None or base is None:
            return None
        node, number = located.step.node, match.group(2)
        if isinstance(node, SubgraphNode) or number is None:
            return base
        turn = int(number)
        if isinstance(node, MapNode):
            items = base.get(node.over)
            if not isinstance(items, list | tuple) or turn >= len(items):
                return None
            return {**base, node.over: items[turn]}
        if isinstance(node, LoopNode) and turn > 0:
            plan = node.body.plan
            last_output = f"{node_path}[{turn - 1}]/{plan.steps[plan.output_step].node.id}"
            if last_output not in outputs:
                return None
            value = outputs[last_output]
            getter = plan.output_getter
            return {**base, node.carry: value if getter is None else getter(value)}
        return base


def _body(step: Step) -> Graph[object] | None:
    node = step.node
    if isinstance(node, SubgraphNode):
        return node.graph
    if isinstance(node, MapNode | LoopNode):
        return node.body
    return None


def _deliver(values: dict[str, object], target: Target, value: object) -> None:
    if target.getter is None:
        values[target.input] = value
        return
    try:
        values[target.input] = target.getter(value)
    except Exception:  # a field the value lacks: the scheduler would have failed there too
        return
