"""An agent graph for the CLI tests: a passthrough agent with every tool of server `time`."""

from __future__ import annotations

from plait import GraphBuilder, Registry
from plait.nodes import PassthroughModel, agent, tool
from plait.nodes.mcp import mcp

_b = GraphBuilder("clock", inputs={"message": str})
graph = _b.build(
    _b.add(
        agent("clock", model=PassthroughModel(), tools=[mcp("time")]),
        inputs={"message": "inputs.message"},
    )
)

_h = GraphBuilder("hanging", inputs={"message": str})
hanging = _h.build(
    _h.add(
        agent("wait", model=PassthroughModel(), tools=[mcp("faults.hang")]),
        inputs={"message": "inputs.message"},
    )
)
"""Calls the fault server's `hang`: a run to interrupt."""


@tool
def faults__echo(text: str) -> str:
    """A Python tool whose name is also the fault server's `echo` tool's."""
    return text


_c = GraphBuilder("colliding", inputs={"message": str})
colliding = _c.build(
    _c.add(
        agent("both", model=PassthroughModel(), tools=[faults__echo, mcp("faults")]),
        inputs={"message": "inputs.message"},
    )
)
"""Two tools named `faults__echo`: a build-time error."""

registry = Registry()
registry.agent(agent("clock", model=PassthroughModel()))
"""For JSON specs: the agent `clock`, whose spec node names its MCP servers."""
