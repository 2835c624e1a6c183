"""The check that a durable run can read back everything it will store, made before it is recorded.

A graph that runs in memory may pass any Python value between its nodes; one that runs
with a store must declare types its checkpoints can hold (ADR 018).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from plait.engine.stores._codec import json_problem, unstorable_part
from plait.graphs import Graph, LoopNode, MapNode, SubgraphNode
from plait.nodes import DefinitionError, InputError, Node, Problem, type_name

__all__ = ["check_storable"]

_FIX = (
    "declare a type a checkpoint can hold (a dataclass, TypedDict, pydantic model, "
    "msgspec Struct, standard types, or `object`/`Any` for plain JSON), or run it without a store"
)


def check_storable(graph: Graph[object], inputs: Mapping[str, object] | None = None) -> None:
    """Refuse a graph whose declared types could not be read back from its checkpoints.

    Raises:
        DefinitionError: listing every node output and graph input whose type the codec
            cannot restore, nothing recorded yet.
        InputError: when an input declared ``object``/``Any`` holds a value that is not
            plain JSON.
    """
    if _CHECKED.get(id(graph)) is not graph:
        _check_types(graph)
    found = []
    for name, kind in graph.inputs.items():
        if inputs is not None and name in inputs:
            why = json_problem(inputs[name], kind)
            if why is not None:
                found.append(f"input `{name}` (`{type_name(kind)}`) cannot be stored: {why}")
    if found:
        raise InputError(graph.name, found)


_CHECKED: dict[int, Graph[object]] = {}
"""The last few graphs whose types were found storable (a graph is immutable): a durable
run of a 1000-node graph would otherwise look at every node's type again (1.4 ms)."""
_KEEP = 32


def _check_types(graph: Graph[object]) -> None:
    problems: list[Problem] = []
    for name, kind in graph.inputs.items():
        why = unstorable_part(kind)
        if why is not None:
            where = f"graph `{graph.name}` input `{name}`"
            problems.append(_problem(where, kind, why))
    for path, node in _nodes(graph, ""):
        why = unstorable_part(node.output)
        if why is not None:
            problems.append(_problem(f"node `{path}`", node.output, why))
    if problems:
        raise DefinitionError(problems, subject=f"graph `{graph.name}` run with a store")
    if len(_CHECKED) >= _KEEP:
        del _CHECKED[next(iter(_CHECKED))]
    _CHECKED[id(graph)] = graph


def _problem(where: str, kind: object, why: str) -> Problem:
    message = f"its type `{type_name(kind)}` cannot be read back from a checkpoint: {why}"
    return Problem("unstorable-type", where, message, _FIX)


def _nodes(graph: Graph[object], prefix: str) -> Iterator[tuple[str, Node[object]]]:
    """Every node of ``graph`` and of the graphs inside it, with its path."""
    for name, node in graph.nodes.items():
        path = f"{prefix}{name}"
        yield path, node
        if isinstance(node, SubgraphNode):
            yield from _nodes(node.graph, f"{path}/")
        elif isinstance(node, MapNode | LoopNode):
            yield from _nodes(node.body, f"{path}/")
