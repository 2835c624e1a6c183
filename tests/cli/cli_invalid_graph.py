"""A module whose graph is wired wrongly: importing it raises GraphDefinitionError."""

from __future__ import annotations

from plait import GraphBuilder, node


@node
async def length(text: str) -> int:
    """The length of a text."""
    return len(text)


@node
async def half(value: int) -> float:
    """Half a number."""
    return value / 2


_builder = GraphBuilder("broken", inputs={"text": str})
_size = _builder.add(length, inputs={"text": "inputs.missing"})
_builder.add(half, inputs={"value": "nowhere.value"})
graph = _builder.build(_size)
