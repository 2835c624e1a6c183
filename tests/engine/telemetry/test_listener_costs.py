"""What watching a run costs it: listeners that need no streamed tokens do not make
agents stream, and a watched function node keeps the direct path's events."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider

from plait import GraphBuilder, node, run
from plait.engine import (
    Event,
    EventListener,
    NodeFinished,
    NodeReported,
    NodeStarted,
    TraceRecorder,
)
from plait.engine.telemetry import OpenTelemetry, StructuredLogs
from plait.graphs import Graph
from plait.nodes import DeltaHandler, Message, ModelRequest, ModelResponse, TextDelta, Usage, agent

pytestmark = pytest.mark.anyio


class CountingModel:
    """Answers at once; counts plain and streamed calls."""

    def __init__(self) -> None:
        self.streamed = 0
        self.completed = 0

    @property
    def name(self) -> str:
        return "test.counting"

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self.completed += 1
        return ModelResponse(Message.assistant("two words"), Usage(3, 2, requests=1), self.name)

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        self.streamed += 1
        on_delta(TextDelta("two "))
        on_delta(TextDelta("words"))
        return ModelResponse(Message.assistant("two words"), Usage(3, 2, requests=1), self.name)


def agent_graph(model: CountingModel) -> Graph[object]:
    b = GraphBuilder("ask", inputs={"question": str})
    ask = agent("ask", model=model, inputs={"question": str})
    return b.build(b.add(ask, inputs={"question": "inputs.question"}))


def otel(content: bool) -> OpenTelemetry:
    return OpenTelemetry(tracer_provider=TracerProvider(), content=content)


async def test_opentelemetry_without_content_does_not_make_agents_stream() -> None:
    model = CountingModel()
    seen: list[str] = []

    class Kinds:
        tokens = False

        def __call__(self, event: Event) -> None:
            if isinstance(event, NodeReported):
                seen.append(event.kind)

    graph = agent_graph(model)
    logs = StructuredLogs(logging.getLogger("plait.test.quiet"))
    logs.logger.setLevel(logging.INFO)
    listeners = (otel(False), logs, TraceRecorder(graph), Kinds())
    result = await run(graph, {"question": "?"}, listeners=listeners)

    assert result.output == "two words"
    assert (model.streamed, model.completed) == (0, 1)
    assert "token" not in seen
    assert "usage" in seen


@pytest.mark.parametrize("wants", ["plain function", "content", "debug logs"])
async def test_a_listener_that_may_want_tokens_gets_them(wants: str) -> None:
    model = CountingModel()
    kinds: list[str] = []

    def collect(event: Event) -> None:
        if isinstance(event, NodeReported):
            kinds.append(event.kind)

    logger = logging.getLogger("plait.test.debug")
    logger.setLevel(logging.DEBUG)
    extra: dict[str, EventListener] = {"content": otel(True), "debug logs": StructuredLogs(logger)}
    listeners: tuple[EventListener, ...] = (collect,)
    if wants != "plain function":
        collect.tokens = False  # type: ignore[attr-defined]
        listeners = (otel(False), extra[wants], collect)
    await run(agent_graph(model), {"question": "?"}, listeners=listeners)

    assert (model.streamed, model.completed) == (1, 0)
    assert kinds.count("token") == 2


async def test_a_watched_function_node_has_its_start_and_finish_events() -> None:
    @node
    async def double(x: int) -> int:
        return 2 * x

    b = GraphBuilder("chain", inputs={"x": int})
    first = b.add(double, id="first", inputs={"x": "inputs.x"})
    graph = b.build(b.add(double, id="second", inputs={"x": first}))
    events: list[Event] = []

    result = await run(graph, {"x": 3}, listeners=(events.append,))

    assert result.output == 12
    kinds = [(type(event).__name__, getattr(event, "node", "")) for event in events]
    assert kinds[1:-1] == [
        ("NodeStarted", "first"),
        ("NodeFinished", "first"),
        ("NodeStarted", "second"),
        ("NodeFinished", "second"),
    ]
    started = [event for event in events if isinstance(event, NodeStarted)]
    finished = [event for event in events if isinstance(event, NodeFinished)]
    assert [event.attempt for event in started + finished] == [1, 1, 1, 1]
    assert [event.output for event in finished] == [6, 12]
    assert [event.seq for event in events] == list(range(len(events)))
