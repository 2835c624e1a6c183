"""Targets for the CLI edge tests: ``plait run cli_edges_graphs:<name>`` from this directory."""

from __future__ import annotations

import anyio

from plait import Graph, GraphBuilder, node


@node
async def nap(seconds: float) -> float:
    """Sleep, so that a test can interrupt the run while it goes."""
    await anyio.sleep(seconds)
    return seconds


def _slow() -> Graph[float]:
    builder = GraphBuilder("slow", inputs={"seconds": float})
    return builder.build(builder.add(nap, inputs={"seconds": "inputs.seconds"}))


slow = _slow()
"""Takes ``{"seconds": N}`` seconds."""


def raising_factory() -> Graph[object]:
    """A factory whose own code fails."""
    settings: dict[str, str] = {}
    return GraphBuilder(settings["name"]).build("nap")
