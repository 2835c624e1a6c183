"""An agent graph for the CLI tests: one agent per item of ``messages``, all at once."""

from __future__ import annotations

from plait import GraphBuilder
from plait.nodes import agent

_b = GraphBuilder("many_agents", inputs={"messages": list[str]})
graph = _b.build(
    _b.map(
        agent("ask", model="anthropic.claude-sonnet-5"),
        over="message",
        inputs={"message": "inputs.messages"},
    )
)
