"""Graphs for the CLI tests: ``plait run cli_graphs:<name>`` from this directory."""

from __future__ import annotations

from dataclasses import dataclass

from plait import Graph, GraphBuilder, RetryPolicy, node

CALLS: list[str] = []


@dataclass(frozen=True)
class Greeting:
    """A structured output, printed as JSON."""

    text: str
    count: int


@node
async def shout(name: str) -> str:
    """Upper-case a name."""
    return name.upper()


@node
async def greet(name: str, times: int) -> Greeting:
    """Greet ``name`` ``times`` times."""
    return Greeting(text=" ".join([f"hello {name}"] * times), count=times)


@node
async def add(x: int, y: int) -> int:
    """Add two numbers."""
    return x + y


@node(retry=RetryPolicy(max_attempts=2, initial_delay=0.01, jitter=0))
async def explode(x: int) -> int:
    """Always fails."""
    raise ValueError(f"boom {x}")


def _greeting_graph() -> Graph[Greeting]:
    builder = GraphBuilder("greeting", inputs={"name": str, "times": int})
    loud = builder.add(shout, inputs={"name": "inputs.name"})
    result = builder.add(greet, inputs={"name": loud, "times": "inputs.times"})
    return builder.build(result)


greeting = _greeting_graph()
"""Succeeds: ``{"name": "ada", "times": 2}`` gives a ``Greeting``."""


def _text_graph() -> Graph[str]:
    builder = GraphBuilder("text", inputs={"name": str})
    return builder.build(builder.add(shout, inputs={"name": "inputs.name"}))


text = _text_graph()
"""Succeeds with a plain ``str`` output."""


def make_sum() -> Graph[int]:
    """A zero-argument factory returning a graph."""
    builder = GraphBuilder("sum", inputs={"x": int, "y": int})
    return builder.build(builder.add(add, inputs={"x": "inputs.x", "y": "inputs.y"}))


def _failing_graph() -> Graph[int]:
    builder = GraphBuilder("failing", inputs={"x": int})
    first = builder.add(add, inputs={"x": "inputs.x", "y": "inputs.x"})
    return builder.build(builder.add(explode, inputs={"x": first}))


failing = _failing_graph()
"""Fails: ``explode`` raises on both of its two attempts."""


def needs_arguments(size: int) -> Graph[int]:
    """Not usable as a target: it needs an argument."""
    raise AssertionError("never called")


def returns_number() -> int:
    """Not usable as a target: it returns no graph."""
    return 42


not_a_graph = "hello"
builder = GraphBuilder("unbuilt")
