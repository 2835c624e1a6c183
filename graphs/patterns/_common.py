"""What every pattern shares: its members as nodes, and the wrapping pattern node."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar, cast

from plait.graphs._builder import GraphBuilder
from plait.graphs._graph import INPUTS, Graph
from plait.graphs._kinds import PatternNode
from plait.nodes import Input, Node, to_jsonable, to_node

__all__ = ["Member", "as_node", "as_nodes", "as_text", "single_input", "step", "wrap"]

OutputT = TypeVar("OutputT")

Member: TypeAlias = Node[Any] | Graph[Any] | Callable[..., Any]
"""A pattern's part: an agent or any other node, a graph (another pattern: they nest), or
a typed function made into a node."""


def as_text(value: object) -> str:
    """A value as prompt text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(to_jsonable(value), ensure_ascii=False)


def step(fn: Callable[..., OutputT], id: str) -> Node[OutputT]:
    """A pattern's own small step: a pure function, run on the event loop, not a thread."""
    return cast("Node[OutputT]", to_node(fn, id=id, blocking=False))


def as_node(member: Member) -> Node[object]:
    """``member`` as a node: nodes as they are, a graph as its subgraph (or pattern) node,
    functions through ``to_node``."""
    if isinstance(member, Graph):
        wrapper = GraphBuilder(member.name, inputs=dict(member.inputs))
        wrapper.add(member, inputs={name: f"{INPUTS}.{name}" for name in member.inputs})
        return next(iter(wrapper.build(member.name).nodes.values()))
    return member if isinstance(member, Node) else to_node(member)


def as_nodes(members: Sequence[Member], role: str, pattern: str) -> tuple[Node[object], ...]:
    """The members as nodes.

    Raises:
        ValueError: when there are none.
    """
    if not members:
        raise ValueError(f"{pattern}: `{role}` is empty (give it at least one agent or function)")
    return tuple(as_node(member) for member in members)


def single_input(node: Node[object], role: str, pattern: str) -> Input:
    """The one input ``node`` has, into which the pattern feeds a value.

    Raises:
        ValueError: when it has none or several.
    """
    if len(node.inputs) != 1:
        names = ", ".join(item.name for item in node.inputs) or "none"
        raise ValueError(
            f"{pattern}: {role} `{node.id}` must take exactly one input to receive the "
            f"previous value, it takes {len(node.inputs)} ({names}); wrap it in a function "
            "of one input"
        )
    return node.inputs[0]


def wrap(
    pattern: str,
    inner: Graph[object],
    parts: Mapping[str, Sequence[Node[object]]],
    options: Mapping[str, object],
    description: str,
) -> Graph[Any]:
    """A graph of one pattern node around ``inner``: run it, render it, add it, dump it."""
    node = PatternNode(
        id=inner.name,
        inputs=tuple(Input(name, tp) for name, tp in inner.inputs.items()),
        output=inner.output_type,
        description=description,
        graph=inner,
        pattern=pattern,
        parts=tuple((role, tuple(nodes)) for role, nodes in parts.items()),
        options=tuple(options.items()),
    )
    outer = GraphBuilder(inner.name, inputs=dict(inner.inputs), description=description)
    outer.add(node, inputs={name: f"{INPUTS}.{name}" for name in inner.inputs})
    return outer.build(inner.name)
