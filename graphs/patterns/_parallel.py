"""``parallel``: the same input fanned out to several agents, fanned in by a join or an
aggregator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar, overload

from plait.graphs._builder import GraphBuilder, NodeRef
from plait.graphs._graph import INPUTS, Graph
from plait.graphs._kinds import JoinPolicy
from plait.graphs.patterns._common import (
    Member,
    as_node,
    as_nodes,
    as_text,
    single_input,
    step,
    wrap,
)
from plait.nodes import Input, Node

__all__ = ["fan_in_text", "parallel"]

OutputT = TypeVar("OutputT")


def fan_in_text(responses: Mapping[str, object], request: object = None) -> str:
    """The responses as one message, as fast-agent writes it for a fan-in agent."""
    parts = []
    if request is not None:
        parts.append("The following request was sent to the agents:")
        parts.append(f"<fastagent:request>\n{as_text(request)}\n</fastagent:request>")
    for name, response in responses.items():
        text = as_text(response)
        parts.append(f'<fastagent:response agent="{name}">\n{text}\n</fastagent:response>')
    return "\n\n".join(parts)


@overload
def parallel(
    name: str,
    /,
    fan_out: Sequence[Member],
    *,
    fan_in: Node[OutputT],
    policy: JoinPolicy = "all",
    k: int | None = None,
    include_request: bool = True,
    description: str = "",
) -> Graph[OutputT]: ...
@overload
def parallel(
    name: str,
    /,
    fan_out: Sequence[Member],
    *,
    fan_in: None = None,
    policy: JoinPolicy = "all",
    k: int | None = None,
    include_request: bool = True,
    description: str = "",
) -> Graph[object]: ...
def parallel(
    name: str,
    /,
    fan_out: Sequence[Member],
    *,
    fan_in: Member | None = None,
    policy: JoinPolicy = "all",
    k: int | None = None,
    include_request: bool = True,
    description: str = "",
) -> Graph[Any]:
    """Give every ``fan_out`` member the same inputs at once, and join what they return.

    Without ``fan_in`` the result is the join's (``all``: a dict by member id; ``first``:
    the first value; ``k_of_n``: a dict of the first ``k``; ``collect``: failures kept as
    ``BranchFailure``). A ``fan_in`` taking a ``str`` gets the responses as one message
    (and the request, when ``include_request``); one taking anything else gets the dict.

    Raises:
        ValueError: for an empty ``fan_out`` or a ``fan_in`` without exactly one input.
        GraphDefinitionError: when members ask for inputs of different types, or the
            join policy does not fit (``first`` needs two members or more).
    """
    members = as_nodes(fan_out, "fan_out", f"parallel `{name}`")
    inputs: dict[str, object] = {}
    for member in members:
        for item in member.inputs:
            inputs.setdefault(item.name, item.annotation)
    builder = GraphBuilder(name, inputs=inputs)
    for member in members:
        builder.add(member, inputs={item.name: f"{INPUTS}.{item.name}" for item in member.inputs})
    result: NodeRef[object] = builder.join(
        "join", inputs={member.id: member.id for member in members}, policy=policy, k=k
    )
    parts: dict[str, Sequence[Node[object]]] = {"fan_out": members}
    if fan_in is not None:
        aggregator = as_node(fan_in)
        entry = single_input(aggregator, "fan_in", f"parallel `{name}`")
        if entry.annotation is str:
            result = _add_text(builder, name, result, inputs, include_request)
        result = builder.add(aggregator, inputs={entry.name: result})
        parts["fan_in"] = (aggregator,)
    options = {"policy": policy, "k": k, "include_request": include_request}
    return wrap("parallel", builder.build(result), parts, options, description)


def _add_text(
    builder: GraphBuilder,
    name: str,
    joined: NodeRef[object],
    inputs: Mapping[str, object],
    include_request: bool,
) -> NodeRef[object]:
    """The node writing the joined responses (and the request) as one message."""
    node = step(fan_in_text, "responses")
    wired: dict[str, str | NodeRef[object]] = {"responses": joined}
    request = next(iter(inputs), None)
    if include_request and request is not None:
        wired["request"] = f"{INPUTS}.{request}"
    else:
        node = replace(node, inputs=(Input("responses", Mapping[str, object]),))
    return builder.add(node, inputs=wired)
