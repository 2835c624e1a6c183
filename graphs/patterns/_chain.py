"""``chain``: agents or functions in sequence, each output into the next one's input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from plait.graphs._builder import GraphBuilder, NodeRef
from plait.graphs._graph import INPUTS, Graph
from plait.graphs.patterns._common import Member, as_nodes, single_input, wrap
from plait.nodes import Node

__all__ = ["chain"]

OutputT = TypeVar("OutputT")
Last = Node[OutputT] | Callable[..., OutputT]


@overload
def chain(name: str, a: Last[OutputT], /, *, description: str = "") -> Graph[OutputT]: ...
@overload
def chain(
    name: str, a: Member, b: Last[OutputT], /, *, description: str = ""
) -> Graph[OutputT]: ...
@overload
def chain(
    name: str, a: Member, b: Member, c: Last[OutputT], /, *, description: str = ""
) -> Graph[OutputT]: ...
@overload
def chain(
    name: str, a: Member, b: Member, c: Member, d: Last[OutputT], /, *, description: str = ""
) -> Graph[OutputT]: ...
@overload
def chain(name: str, /, *sequence: Member, description: str = "") -> Graph[object]: ...
def chain(name: str, /, *sequence: Member, description: str = "") -> Graph[Any]:
    """Run ``sequence`` in order: the first gets the chain's inputs, each later one the
    output of the one before; the chain returns the last one's output.

    The chain's inputs are the first member's. Every later member takes exactly one input.
    Types are checked as for any edge, when the chain is built.

    Raises:
        ValueError: for an empty sequence or a later member without exactly one input.
        GraphDefinitionError: when an output does not fit the next input, or ids repeat.
    """
    nodes = as_nodes(sequence, "sequence", f"chain `{name}`")
    first = nodes[0]
    builder = GraphBuilder(name, inputs={item.name: item.annotation for item in first.inputs})
    previous: NodeRef[object] = builder.add(
        first, inputs={item.name: f"{INPUTS}.{item.name}" for item in first.inputs}
    )
    for node in nodes[1:]:
        entry = single_input(node, "step", f"chain `{name}`")
        previous = builder.add(node, inputs={entry.name: previous})
    inner = builder.build(previous)
    return wrap("chain", inner, {"sequence": nodes}, {}, description)
