"""Graphs for the live display's tests: a map, a loop, an agent, and a node that prints."""

from __future__ import annotations

from plait import GraphBuilder, node
from plait.graphs import Graph, LoopResult
from plait.nodes import ScriptedModel, agent


@node
async def double(x: int) -> int:
    return 2 * x


@node
async def grow(text: str) -> str:
    return text + "!"


@node
def announce(numbers: list[int], loop: LoopResult[str], summary: str) -> str:
    print("printed by a node")
    return f"{sum(numbers)} {loop.value} {summary}"


def _graph() -> Graph[str]:
    body = GraphBuilder("grow", inputs={"text": str})
    grown = body.build(body.add(grow, inputs={"text": "inputs.text"}))
    b = GraphBuilder("progress", inputs={"xs": list[int], "text": str})
    each = b.map(double, id="each", over="x", inputs={"x": "inputs.xs"})
    again = b.loop(
        grown,
        id="again",
        carry="text",
        max_iterations=5,
        until=lambda text: text.endswith("!!"),
        inputs={"text": "inputs.text"},
    )
    summarise = agent("summarise", model=ScriptedModel(["All done."] * 10), inputs={"text": str})
    said = b.add(summarise, inputs={"text": "inputs.text"})
    return b.build(b.add(announce, inputs={"numbers": each, "loop": again, "summary": said}))


graph = _graph()
"""``{"xs": [1, 2, 3], "text": "hi"}`` gives ``12 hi!! All done.``"""
