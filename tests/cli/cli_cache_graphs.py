"""A graph with a cached node for the CLI tests: each execution appends to ./calls.txt."""

from __future__ import annotations

from pathlib import Path

from plait import CachePolicy, GraphBuilder, node


@node(cache=CachePolicy(ttl=3600))
def slow_square(x: int) -> int:
    with Path("calls.txt").open("a") as calls:
        calls.write(f"{x}\n")
    return x * x


@node
def describe(y: int) -> str:
    return f"square: {y}"


_builder = GraphBuilder("cached", inputs={"x": int})
graph = _builder.build(
    _builder.add(describe, inputs={"y": _builder.add(slow_square, inputs={"x": "inputs.x"})})
)
