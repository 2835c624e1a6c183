"""An agent graph for the CLI tests: a passthrough agent with every tool of server `time`."""

from __future__ import annotations

from plait import GraphBuilder
from plait.nodes import PassthroughModel, agent
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
