"""Usage and cost on ``RunResult``: per node and per run, from the effect journal, each
model call counted once however many attempts and resumed runs replayed it."""

from __future__ import annotations

import pytest

from plait import Graph, GraphBuilder, RetryPolicy, RunOptions
from plait.engine import MemoryStore, Store, resume
from plait.nodes import (
    Message,
    ModelCatalog,
    OverloadedError,
    Pricing,
    ScriptedModel,
    ScriptedReply,
    ToolCall,
    TransientProviderError,
    Usage,
    agent,
    tool,
)

pytestmark = pytest.mark.anyio

RETRY = RetryPolicy(
    max_attempts=3, initial_delay=0.0, jitter=0.0, retry_on=(TransientProviderError,)
)
SMALL = Usage(input_tokens=1000, output_tokens=100, cache_read_tokens=400, requests=1)
LARGE = Usage(input_tokens=20_000, output_tokens=3000, requests=1)
PRICES = ModelCatalog(
    pricing={"acme.small": Pricing(1.0, 4.0, 0.5), "acme.large": Pricing(10.0, 30.0)}
)
SMALL_COST = (600 * 1.0 + 400 * 0.5 + 100 * 4.0) / 1_000_000
LARGE_COST = (20_000 * 10.0 + 3000 * 30.0) / 1_000_000


@tool
def lookup(order: int) -> str:
    """Find an order's status."""
    return f"order {order}: shipped"


def _looks_up(order: int) -> Message:
    return Message.assistant(ToolCall(f"call_{order}", "lookup", {"order": order}))


def _graph(
    support: list[ScriptedReply],
    summary: list[ScriptedReply],
    *,
    support_model: str = "acme.small",
    models: ModelCatalog = PRICES,
) -> tuple[Graph[str], ScriptedModel, ScriptedModel]:
    first = ScriptedModel(support, name=support_model, usage=SMALL)
    second = ScriptedModel(summary, name="acme.large", usage=LARGE)
    answer = agent(
        "support", model=first, inputs={"question": str}, tools=[lookup], models=models,
        retry=RETRY,
    )  # fmt: skip
    summarise = agent("summarise", model=second, inputs={"text": str}, models=models, retry=None)
    b = GraphBuilder("usage", inputs={"question": str})
    replied = b.add(answer, inputs={"question": "inputs.question"})
    return b.build(b.add(summarise, inputs={"text": replied})), first, second


@pytest.mark.parametrize("durable", [False, True], ids=["no-store", "memory-store"])
async def test_usage_and_cost_are_totalled_per_node_and_per_run(durable: bool) -> None:
    graph, _, _ = _graph([_looks_up(7), "It shipped."], ["Shipped."])
    store: Store | None = MemoryStore() if durable else None

    result = await graph.run({"question": "Where?"}, options=RunOptions(store=store))

    support, summarise = result.nodes["support"], result.nodes["summarise"]
    assert support.usage == SMALL + SMALL
    assert support.cost == pytest.approx(2 * SMALL_COST)
    assert summarise.usage == LARGE
    assert summarise.cost == pytest.approx(LARGE_COST)
    assert result.usage == Usage(
        input_tokens=22_000, output_tokens=3200, cache_read_tokens=800, requests=3
    )
    assert result.cost == pytest.approx(2 * SMALL_COST + LARGE_COST)


def inc(x: int) -> int:
    return x + 1


async def test_a_node_without_model_calls_costs_nothing() -> None:
    b = GraphBuilder("plain", inputs={"x": int})
    graph = b.build(b.add(inc, inputs={"x": "inputs.x"}))

    result = await graph.run({"x": 1})

    assert result.usage == Usage()
    assert result.cost == 0.0
    assert (result.nodes["inc"].usage, result.nodes["inc"].cost) == (Usage(), 0.0)


async def test_a_model_without_a_price_has_no_cost_and_neither_has_the_run() -> None:
    graph, _, _ = _graph(["Fine."], ["Fine."], support_model="acme.mystery")

    result = await graph.run({"question": "Where?"})

    assert result.nodes["support"].usage == SMALL
    assert result.nodes["support"].cost is None
    assert result.nodes["summarise"].cost == pytest.approx(LARGE_COST)
    assert result.usage == SMALL + LARGE
    assert result.cost is None


@pytest.mark.parametrize("durable", [False, True], ids=["no-store", "memory-store"])
async def test_a_retried_agent_counts_its_replayed_calls_once(durable: bool) -> None:
    busy = OverloadedError("busy", provider="acme", status=529)
    graph, first, _ = _graph([_looks_up(7), busy, "It shipped."], ["Shipped."])
    store: Store | None = MemoryStore() if durable else None

    result = await graph.run({"question": "Where?"}, options=RunOptions(store=store))

    assert result.nodes["support"].attempts == 2
    assert first.remaining == 0  # the first call was replayed, not asked again
    assert result.nodes["support"].usage == SMALL + SMALL
    assert result.nodes["support"].cost == pytest.approx(2 * SMALL_COST)


async def test_a_resumed_run_counts_the_calls_of_the_run_it_resumes_once() -> None:
    graph, first, second = _graph(
        [_looks_up(7), "It shipped."], [ValueError("summariser down"), "Shipped."]
    )
    store = MemoryStore()
    failed = await graph.run({"question": "Where?"}, options=RunOptions(store=store))
    assert not failed.ok
    assert failed.usage == SMALL + SMALL  # the failed call answered nothing, used nothing

    result = await resume(graph, failed.run_id, store=store)

    assert result.ok
    assert (first.remaining, second.remaining) == (0, 0)
    assert result.nodes["support"].usage == SMALL + SMALL  # committed in the first run
    assert result.nodes["summarise"].usage == LARGE
    assert result.usage == SMALL + SMALL + LARGE
    assert result.cost == pytest.approx(2 * SMALL_COST + LARGE_COST)


async def test_a_resumed_agent_counts_its_replayed_calls_once() -> None:
    graph, first, _ = _graph([_looks_up(7), ValueError("down"), "It shipped."], ["Shipped."])
    store = MemoryStore()
    failed = await graph.run({"question": "Where?"}, options=RunOptions(store=store))
    assert failed.nodes["support"].usage == SMALL

    result = await resume(graph, failed.run_id, store=store)

    assert first.remaining == 0
    assert result.nodes["support"].usage == SMALL + SMALL
    assert result.usage == SMALL + SMALL + LARGE


async def test_a_configured_price_changes_the_cost() -> None:
    dearer = ModelCatalog(pricing={"acme.small": Pricing(2.0, 8.0, 1.0)})
    graph, _, _ = _graph(["Fine."], ["Fine."], models=dearer)

    result = await graph.run({"question": "Where?"})

    assert result.nodes["support"].cost == pytest.approx(2 * SMALL_COST)
    assert result.nodes["summarise"].cost is None  # this catalog prices only acme.small
