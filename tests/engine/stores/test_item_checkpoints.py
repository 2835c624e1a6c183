"""Per-item checkpoints: a resumed run re-runs no finished map item, loop turn or inner node.

Each test fails a run inside a composite node, resumes it, and counts executions: every
inner node that finished before the failure ran exactly once across both runs.
"""

from __future__ import annotations

from collections import Counter

import anyio
import pytest

from plait import Graph, GraphBuilder, RetryPolicy, RunOptions, RunStatus, node
from plait.engine import Event, NodeStarted
from plait.engine._resume import fork, resume
from plait.engine.stores._protocol import StoredStatus
from plait.graphs import LoopResult
from plait.nodes import (
    DeltaHandler,
    Message,
    ModelRequest,
    ModelResponse,
    StopReason,
    ToolCall,
    agent,
    tool,
)

from .harness import AnyStore

pytestmark = [pytest.mark.anyio, pytest.mark.stores("sqlite", "postgres", "redis")]


def _map_graph(calls: Counter[str], broken: set[str]) -> Graph[int]:
    """A map whose body is ``fetch -> summarise``; the items in ``broken`` fail at
    ``summarise`` (after a pause, so that their siblings finish first)."""

    @node
    async def fetch(item: int) -> int:
        calls[f"fetch{item}"] += 1
        return item * 10

    @node
    async def summarise(page: int) -> int:
        calls[f"summarise{page // 10}"] += 1
        if f"summarise{page // 10}" in broken:
            await anyio.sleep(0.05)
            raise RuntimeError("summarise is broken")
        return page + 1

    @node
    async def total(values: list[int]) -> int:
        calls["total"] += 1
        return sum(values)

    inner = GraphBuilder("item", inputs={"item": int})
    fetched = inner.add(fetch, inputs={"item": "inputs.item"})
    item_graph = inner.build(inner.add(summarise, inputs={"page": fetched}))
    outer = GraphBuilder("items", inputs={"items": list[int]})
    mapped = outer.map(item_graph, over="item", id="each", inputs={"item": "inputs.items"})
    return outer.build(outer.add(total, inputs={"values": mapped}))


async def test_a_map_resumes_without_rerunning_a_finished_item(store: AnyStore) -> None:
    calls: Counter[str] = Counter()
    broken = {"summarise7"}
    graph = _map_graph(calls, broken)

    first = await graph.run({"items": list(range(10))}, options=RunOptions(store=store, run_id="m"))
    assert first.status is RunStatus.FAILED
    stored = await store.load("m")
    assert stored is not None
    assert "each[3]/summarise" in stored.outputs
    assert "each[7]/fetch" in stored.outputs
    assert "each[7]/summarise" not in stored.outputs
    assert [failure.node for failure in stored.failures][:1] == ["each[7]/summarise"]

    broken.clear()
    before = Counter(calls)
    second = await resume(graph, "m", store=store)

    assert second.status is RunStatus.SUCCEEDED
    assert second.output == sum(item * 10 + 1 for item in range(10))
    rerun = calls - before
    assert rerun == Counter(
        {"summarise7": 1, "total": 1}
    )  # 0 finished items, not even item 7's fetch


def _loop_graph(calls: Counter[int], broken: set[int]) -> Graph[object]:
    @node
    async def turn(total: int) -> int:
        calls[total] += 1
        if total in broken:
            raise RuntimeError(f"turn at {total} is broken")
        return total + 1

    body = GraphBuilder("turn", inputs={"total": int})
    step = body.build(body.add(turn, inputs={"total": "inputs.total"}))
    outer = GraphBuilder("counting", inputs={"start": int})
    return outer.build(
        outer.loop(
            step, carry="total", max_iterations=10, id="again", inputs={"total": "inputs.start"}
        )
    )


async def test_a_loop_resumes_at_the_turn_that_failed(store: AnyStore) -> None:
    calls: Counter[int] = Counter()
    broken = {6}
    graph = _loop_graph(calls, broken)

    first = await graph.run({"start": 0}, options=RunOptions(store=store, run_id="l"))
    assert first.status is RunStatus.FAILED
    stored = await store.load("l")
    assert stored is not None
    assert {f"again[{turn}]/turn" for turn in range(6)} <= set(stored.outputs)

    broken.clear()
    before = Counter(calls)
    second = await resume(graph, "l", store=store)

    assert second.status is RunStatus.SUCCEEDED
    assert second.output == LoopResult(10, 10, "max_iterations")
    assert calls - before == Counter(range(6, 10))  # turns 0-5 never ran again


def _chain_subgraph(calls: Counter[str], broken: set[str]) -> Graph[int]:
    def step(name: str):  # type: ignore[no-untyped-def]
        async def work(value: int) -> int:
            calls[name] += 1
            if name in broken:
                raise RuntimeError(f"{name} is broken")
            return value * 2

        return node(id=name)(work)

    inner = GraphBuilder("inner", inputs={"value": int})
    previous = inner.add(step("a"), inputs={"value": "inputs.value"})
    for name in ("b", "c", "d"):
        previous = inner.add(step(name), inputs={"value": previous})
    sub = inner.build(previous)
    outer = GraphBuilder("outer", inputs={"value": int})
    return outer.build(outer.add(sub, id="sub", inputs={"value": "inputs.value"}))


async def test_a_subgraph_resumes_at_its_third_node(store: AnyStore) -> None:
    calls: Counter[str] = Counter()
    broken = {"c"}
    graph = _chain_subgraph(calls, broken)

    first = await graph.run({"value": 1}, options=RunOptions(store=store, run_id="s"))
    assert first.status is RunStatus.FAILED
    stored = await store.load("s")
    assert stored is not None
    assert {"sub/a", "sub/b"} <= set(stored.outputs)

    broken.clear()
    before = Counter(calls)
    second = await resume(graph, "s", store=store)

    assert second.output == 16
    assert calls - before == Counter({"c": 1, "d": 1})


def _nested_graph(calls: Counter[str], broken: set[str]) -> Graph[object]:
    """A loop whose body is a subgraph holding a map: ``again[t]/sub/each[i]/work``."""

    @node
    async def work(item: int) -> int:
        calls[f"work{item}"] += 1
        if f"work{item}" in broken:
            await anyio.sleep(0.05)
            raise RuntimeError("work is broken")
        return item + 1

    @node
    async def total(values: list[int]) -> int:
        calls[f"total{values[0]}"] += 1
        return values[0]

    @node
    async def spread(total: int) -> list[int]:
        calls[f"spread{total}"] += 1
        return [total + offset for offset in range(4)]

    mapped = GraphBuilder("mapped", inputs={"items": list[int]})
    mapped_graph = mapped.build(
        mapped.add(
            total,
            inputs={
                "values": mapped.map(work, over="item", id="each", inputs={"item": "inputs.items"})
            },
        )
    )
    body = GraphBuilder("body", inputs={"total": int})
    spreads = body.add(spread, inputs={"total": "inputs.total"})
    body_graph = body.build(body.add(mapped_graph, id="sub", inputs={"items": spreads}))
    outer = GraphBuilder("nested", inputs={"start": int})
    return outer.build(
        outer.loop(
            body_graph,
            carry="total",
            max_iterations=3,
            id="again",
            inputs={"total": "inputs.start"},
        )
    )


async def test_a_map_inside_a_subgraph_inside_a_loop_resumes_item_by_item(
    store: AnyStore,
) -> None:
    calls: Counter[str] = Counter()
    broken = {"work4"}  # turn 0 maps [0, 1, 2, 3], turn 1 [1, 2, 3, 4]: its item 3 fails
    graph = _nested_graph(calls, broken)

    first = await graph.run({"start": 0}, options=RunOptions(store=store, run_id="n"))
    assert first.status is RunStatus.FAILED
    stored = await store.load("n")
    assert stored is not None
    assert "again[0]/sub/total" in stored.outputs
    assert "again[1]/sub/each[2]/work" in stored.outputs
    assert "again[1]/sub/each[3]/work" not in stored.outputs

    broken.clear()
    before = Counter(calls)
    second = await resume(graph, "n", store=store)

    assert second.status is RunStatus.SUCCEEDED
    assert second.output == LoopResult(3, 3, "max_iterations")
    # Turn 1's item 3 ran again, then the rest of turn 1 and all of turn 2 ([2, 3, 4, 5]).
    assert calls - before == Counter(
        {"work4": 2, "total2": 1, "spread2": 1, "work2": 1, "work3": 1, "work5": 1, "total3": 1}
    )


async def test_a_fork_at_a_map_reruns_its_items_and_one_below_it_restores_them(
    store: AnyStore,
) -> None:
    calls: Counter[str] = Counter()
    graph = _map_graph(calls, set())
    options = RunOptions(store=store, run_id="base")
    done = await graph.run({"items": list(range(4))}, options=options)
    assert done.status is RunStatus.SUCCEEDED
    once = Counter(calls)

    before = Counter(calls)
    below = await fork(graph, "base", store=store, at="total")
    assert below.output == done.output
    assert calls - before == Counter({"total": 1})  # no item ran again

    before = Counter(calls)
    forked = await fork(graph, "base", store=store, at="each")
    assert forked.output == done.output
    assert calls - before == once  # every item and inner node ran again

    old = await store.load("base")
    new = await store.load(forked.run_id)
    assert old is not None
    assert new is not None
    assert "each[2]/summarise" in new.outputs  # the fork committed its own items
    assert set(new.outputs) == set(old.outputs)
    assert new.run.parent_run == "base"
    assert new.run.status is StoredStatus.SUCCEEDED


class _ItemModel:
    """Asks for ``lookup`` of the item, then answers with the page; logs each request.

    The item in ``broken`` fails its second request (after its tool call was journaled).
    """

    name = "test.items"

    def __init__(self, calls: Counter[str], broken: set[str]) -> None:
        self.calls = calls
        self.broken = broken

    async def complete(self, request: ModelRequest) -> ModelResponse:
        item = request.messages[0].text.split()[-1]
        answered = any(message.tool_results for message in request.messages)
        self.calls[f"{'answer' if answered else 'ask'}{item}"] += 1
        if not answered:
            call = ToolCall(f"call_{item}", "lookup", {"item": int(item)})
            return ModelResponse(Message.assistant(call, stop_reason=StopReason.TOOL_USE))
        if item in self.broken:
            await anyio.sleep(0.05)
            raise RuntimeError(f"the model broke on item {item}")
        return ModelResponse(Message.assistant(f"summary of item {item}"))

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        return await self.complete(request)


async def test_a_resumed_map_item_agent_replays_its_journal(store: AnyStore) -> None:
    calls: Counter[str] = Counter()
    broken = {"3"}

    @tool
    async def lookup(item: int) -> str:
        """Look an item up."""
        calls[f"tool{item}"] += 1
        return f"page {item}"

    summarise = agent(
        "summarise",
        model=_ItemModel(calls, broken),
        prompt="item {item}",
        inputs={"item": int},
        tools=[lookup],
        retry=RetryPolicy(max_attempts=1),
    )
    builder = GraphBuilder("agents", inputs={"items": list[int]})
    graph = builder.build(
        builder.map(summarise, over="item", id="each", inputs={"item": "inputs.items"})
    )

    first = await graph.run({"items": list(range(5))}, options=RunOptions(store=store, run_id="a"))
    assert first.status is RunStatus.FAILED
    broken.clear()
    before = Counter(calls)
    events: list[Event] = []
    second = await resume(graph, "a", store=store, listeners=(events.append,))

    started = {event.node for event in events if isinstance(event, NodeStarted)}
    assert started == {"each", "each[3]/summarise"}
    assert second.output == [f"summary of item {item}" for item in range(5)]
    # Items 0-2 and 4 finished: nothing of theirs ran again. Item 3 replayed its first
    # model call and its tool call from the journal and made only the call that failed.
    assert calls - before == Counter({"answer3": 1})
