"""Every run emits one ordered stream of typed events, readable while the run goes."""

from __future__ import annotations

import anyio
import pytest

from plait import GraphBuilder, ManualClock, RetryPolicy, RunContext, RunOptions, node
from plait.engine import (
    Event,
    NodeCancelled,
    NodeFailed,
    NodeFinished,
    NodeRetrying,
    NodeStarted,
    RunFinished,
    RunStarted,
    RunStatus,
    stream,
)

pytestmark = pytest.mark.anyio


def _summary(events: list[Event]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for event in events:
        name = type(event).__name__
        if isinstance(event, NodeStarted | NodeFinished | NodeFailed | NodeCancelled):
            rows.append((name, event.node, str(event.attempt)))
        elif isinstance(event, NodeRetrying):
            rows.append((name, event.node, str(event.attempt), f"{event.delay:g}"))
        elif isinstance(event, RunFinished):
            rows.append((name, event.status.value))
        else:
            rows.append((name,))
    return rows


async def test_chain_events_are_ordered_and_complete() -> None:
    calls = 0

    @node
    async def first(x: int) -> int:
        return x + 1

    async def second(x: int, context: RunContext) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("once")
        return x * 2

    b = GraphBuilder("events", inputs={"x": int})
    one = b.add(first, inputs={"x": "inputs.x"})
    graph = b.build(
        b.add(
            second,
            id="second",
            retry=RetryPolicy(max_attempts=2, initial_delay=0.5, jitter=0),
            inputs={"x": one},
        )
    )
    events: list[Event] = []

    result = await graph.run(
        {"x": 1}, options=RunOptions(clock=ManualClock()), listeners=(events.append,)
    )

    assert result.output == 4
    assert _summary(events) == [
        ("RunStarted",),
        ("NodeStarted", "first", "1"),
        ("NodeFinished", "first", "1"),
        ("NodeStarted", "second", "1"),
        ("NodeRetrying", "second", "1", "0.5"),
        ("NodeStarted", "second", "2"),
        ("NodeFinished", "second", "2"),
        ("RunFinished", "succeeded"),
    ]
    assert [event.seq for event in events] == list(range(len(events)))
    assert {event.run_id for event in events} == {result.run_id}
    started = events[0]
    assert isinstance(started, RunStarted)
    assert started.graph == "events"
    assert started.content_hash == graph.content_hash
    finished = [event for event in events if isinstance(event, NodeFinished)]
    assert [event.output for event in finished] == [2, 4]
    retrying = events[4]
    assert isinstance(retrying, NodeRetrying)
    assert isinstance(retrying.error, RuntimeError)


async def test_failure_events() -> None:
    async def broken(x: int) -> int:
        raise ValueError("nope")

    b = GraphBuilder("broken", inputs={"x": int})
    graph = b.build(b.add(broken, id="broken", inputs={"x": "inputs.x"}))
    events: list[Event] = []

    result = await graph.run({"x": 1}, listeners=(events.append,))

    assert _summary(events) == [
        ("RunStarted",),
        ("NodeStarted", "broken", "1"),
        ("NodeFailed", "broken", "1"),
        ("RunFinished", "failed"),
    ]
    last = events[-1]
    assert isinstance(last, RunFinished)
    assert last.error is result.error


async def test_events_can_be_read_while_the_run_goes() -> None:
    gate = anyio.Event()

    @node
    async def waits(x: int) -> int:
        with anyio.fail_after(5):
            await gate.wait()
        return x

    b = GraphBuilder("live", inputs={"x": int})
    graph = b.build(b.add(waits, inputs={"x": "inputs.x"}))
    seen: list[Event] = []

    async with stream(graph, {"x": 3}) as handle:
        async for event in handle:
            seen.append(event)
            if isinstance(event, NodeStarted):
                # The node is still waiting: the run has not finished, yet we see its events.
                with pytest.raises(RuntimeError, match="has not finished"):
                    _ = handle.result
                gate.set()

    assert handle.result.output == 3
    assert handle.result.run_id == handle.run_id
    assert isinstance(seen[-1], RunFinished)
    assert seen[-1].status is RunStatus.SUCCEEDED


async def test_a_raising_listener_stops_the_run_with_its_error() -> None:
    @node
    async def one(x: int) -> int:
        return x

    def bad_listener(event: Event) -> None:
        if isinstance(event, NodeStarted):
            raise LookupError("listener bug")

    b = GraphBuilder("listener", inputs={"x": int})
    graph = b.build(b.add(one, inputs={"x": "inputs.x"}))

    with pytest.raises(LookupError, match="listener bug"):
        await graph.run({"x": 1}, listeners=(bad_listener,))


async def test_a_listener_raising_on_the_last_event_is_not_lost() -> None:
    @node
    async def one(x: int) -> int:
        return x

    def bad_listener(event: Event) -> None:
        if isinstance(event, RunFinished):
            raise LookupError("late listener bug")

    b = GraphBuilder("late-listener", inputs={"x": int})
    graph = b.build(b.add(one, inputs={"x": "inputs.x"}))

    with pytest.raises(LookupError, match="late listener bug"):
        await graph.run({"x": 1}, listeners=(bad_listener,))


async def test_custom_node_kinds_execute_and_report_events() -> None:
    from collections.abc import Mapping
    from dataclasses import dataclass

    from plait.engine import NodeReported
    from plait.nodes import Input, Node

    @dataclass(frozen=True, slots=True, kw_only=True)
    class Echo(Node[str]):
        async def execute(self, inputs: Mapping[str, object], context: RunContext) -> str:
            text = str(inputs["text"])
            for word in text.split():
                context.emit("token", {"text": word})
            return text.upper()

    b = GraphBuilder("custom", inputs={"text": str})
    b.add(Echo(id="echo", inputs=(Input("text", str),), output=str), inputs={"text": "inputs.text"})
    graph = b.build("echo")
    events: list[Event] = []

    result = await graph.run({"text": "hi there"}, listeners=(events.append,))

    assert result.output == "HI THERE"
    reported = [(e.node, e.kind, dict(e.data)) for e in events if isinstance(e, NodeReported)]
    assert reported == [("echo", "token", {"text": "hi"}), ("echo", "token", {"text": "there"})]
