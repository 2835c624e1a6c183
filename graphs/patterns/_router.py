"""``router``: an LLM reads the request and picks one of the declared agents to answer it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from plait.graphs._builder import GraphBuilder
from plait.graphs._graph import INPUTS, Graph
from plait.graphs.patterns._common import Member, as_nodes, step, wrap
from plait.nodes import Input, Node

if TYPE_CHECKING:
    from plait.nodes import ModelClient

__all__ = ["ROUTING_INSTRUCTIONS", "RouteChoice", "router"]

OutputT = TypeVar("OutputT")

ROUTING_INSTRUCTIONS = (
    "You route a request to the one agent best suited to answer it. The agents:\n"
    "{agents}\n"
    "Reply with the chosen agent's name exactly as written above, your confidence "
    "(high, medium or low) and one sentence of reasoning."
)
"""The router's system prompt; ``{agents}`` becomes one ``- name: description`` a line."""


@dataclass(frozen=True, slots=True)
class RouteChoice:
    """What the routing model decided: the agent, how sure it is, and why."""

    agent: str
    confidence: Literal["high", "medium", "low"]
    reasoning: str = ""


@overload
def router(
    name: str,
    /,
    agents: Sequence[Node[OutputT]],
    *,
    model: str | ModelClient,
    instructions: str = "",
    description: str = "",
) -> Graph[OutputT]: ...
@overload
def router(
    name: str,
    /,
    agents: Sequence[Member],
    *,
    model: str | ModelClient,
    instructions: str = "",
    description: str = "",
) -> Graph[object]: ...
def router(
    name: str,
    /,
    agents: Sequence[Member],
    *,
    model: str | ModelClient,
    instructions: str = "",
    description: str = "",
) -> Graph[Any]:
    """An agent on ``model`` reads the request and one of ``agents`` answers it.

    The routing model sees each agent's id and description, and answers with a
    ``RouteChoice`` (the trace keeps it, with its confidence and reasoning); the chosen
    agent gets the router's inputs and its output is the result; the others are skipped.
    With one agent no model is asked. ``instructions`` are added to the routing prompt.

    Raises:
        ValueError: for no agents.
        GraphDefinitionError: when the agents ask for inputs of different types.

    A routing answer naming no agent fails the ``decide`` node, saying which.
    """
    from plait.nodes import agent  # the LLM side loads when a pattern needs it

    members = as_nodes(agents, "agents", f"router `{name}`")
    inputs: dict[str, object] = {}
    for member in members:
        for item in member.inputs:
            inputs.setdefault(item.name, item.annotation)
    builder = GraphBuilder(name, inputs=inputs)
    for member in members:
        builder.add(member, inputs={item.name: f"{INPUTS}.{item.name}" for item in member.inputs})
    options = {"model": model if isinstance(model, str) else None, "instructions": instructions}
    parts = {"agents": members}
    if len(members) == 1:
        return wrap("router", builder.build(members[0].id), parts, options, description)
    request = next(iter(inputs))
    listing = "\n".join(f"- {m.id}: {m.description or 'no description'}" for m in members)
    prompt = ROUTING_INSTRUCTIONS.replace("{agents}", listing.replace("{", "{{").replace("}", "}}"))
    if instructions:
        prompt += "\n\n" + instructions.replace("{", "{{").replace("}", "}}")
    choose = agent(
        "route",
        model=model,
        output=RouteChoice,
        instructions=prompt,
        inputs={request: inputs[request]},
    )
    builder.add(choose, inputs={request: f"{INPUTS}.{request}"})
    ids = tuple(member.id for member in members)
    decide = builder.add(_decider("decide", ids), inputs={"choice": choose.id})
    builder.route(decide, {member_id: member_id for member_id in ids})
    joined = builder.join("join", inputs={member_id: member_id for member_id in ids})
    answer = builder.add(_only("answer", members), inputs={"answers": joined})
    return wrap("router", builder.build(answer), parts, options, description)


def _decider(node_id: str, ids: tuple[str, ...]) -> Node[object]:
    """A router node: the chosen agent's id, its output type the ``Literal`` of all ids."""

    def decide(choice: RouteChoice) -> str:
        if choice.agent not in ids:
            raise ValueError(
                f"the routing model chose `{choice.agent}`, which is not one of the agents "
                f"({', '.join(ids)}); give the agents clearer descriptions"
            )
        return choice.agent

    return replace(step(decide, node_id), output=Literal[ids])


def _only(node_id: str, members: Sequence[Node[object]]) -> Node[object]:
    """The one answer of the agent that ran."""

    def answer(answers: Mapping[str, Any]) -> Any:
        (value,) = answers.values()
        return value

    outputs: list[object] = []
    for member in members:
        if member.output not in outputs:
            outputs.append(member.output)
    output = outputs[0] if len(outputs) == 1 else object
    node = step(answer, node_id)
    return replace(node, inputs=(Input("answers", Mapping[str, object]),), output=output)
