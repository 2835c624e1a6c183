"""Graphs for the ``plait runs`` usage tests: scripted agents with known usage per call."""

from __future__ import annotations

from collections.abc import Sequence

from plait import Graph, GraphBuilder
from plait.nodes import (
    Message,
    ModelCatalog,
    ModelClient,
    Pricing,
    RunContext,
    ScriptedModel,
    ScriptedReply,
    ToolCall,
    Usage,
    agent,
    tool,
)

SMALL = Usage(input_tokens=1000, output_tokens=100, cache_read_tokens=400, requests=1)
LARGE = Usage(input_tokens=20_000, output_tokens=3000, requests=1)


class FreshScript(ScriptedModel):
    """A scripted model that starts its script over in every node execution (a CLI test
    runs several graphs in one process, each from the module's one instance)."""

    def __init__(self, replies: Sequence[ScriptedReply], *, name: str, usage: Usage) -> None:
        super().__init__(replies, name=name, usage=usage)
        self.script = list(replies)
        self.each_usage = usage

    def for_node(self, context: RunContext) -> ModelClient:
        """A new scripted model for this node execution."""
        return ScriptedModel(self.script, name=self.name, usage=self.each_usage)


@tool
def lookup(order: int) -> str:
    """Find an order's status."""
    return f"order {order}: shipped"


_LOOKUP = Message.assistant(ToolCall("call_1", "lookup", {"order": 7}))


def _graph(summariser: str) -> Graph[str]:
    support = FreshScript([_LOOKUP, "It shipped."], name="acme.small", usage=SMALL)
    summary = FreshScript(["Shipped."], name=summariser, usage=LARGE)
    b = GraphBuilder("usage", inputs={"question": str})
    answer = b.add(
        agent("support", model=support, inputs={"question": str}, tools=[lookup]),
        inputs={"question": "inputs.question"},
    )
    summarise = agent("summarise", model=summary, inputs={"text": str})
    return b.build(b.add(summarise, inputs={"text": answer}))


graph = _graph("acme.large")
unpriced = _graph("acme.mystery")


def failing_once() -> Graph[str]:
    """``graph`` whose support agent fails on its second model call (not transient, so
    the run fails), then answers; priced as the tests' ``plait.yaml`` prices."""
    models = ModelCatalog(
        pricing={"acme.small": Pricing(1.0, 4.0, 0.5), "acme.large": Pricing(10.0, 30.0)}
    )
    replies: list[ScriptedReply] = [_LOOKUP, ValueError("down"), "It shipped."]
    support = ScriptedModel(replies, name="acme.small", usage=SMALL)
    summary = ScriptedModel(["Shipped."], name="acme.large", usage=LARGE)
    b = GraphBuilder("usage", inputs={"question": str})
    answer = b.add(
        agent("support", model=support, inputs={"question": str}, tools=[lookup], models=models),
        inputs={"question": "inputs.question"},
    )
    summarise = agent("summarise", model=summary, inputs={"text": str}, models=models)
    return b.build(b.add(summarise, inputs={"text": answer}))
