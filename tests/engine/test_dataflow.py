"""The scheduler runs a node as soon as its inputs are ready, branches concurrently."""

from __future__ import annotations

import time
from dataclasses import dataclass

import anyio
import anyio.lowlevel
import pytest
from pydantic import BaseModel

from plait import GraphBuilder, RunContext, RunOptions, RunStatus, node
from plait.engine import NodeStatus

pytestmark = pytest.mark.anyio


class Page(BaseModel):
    title: str
    body: str


@dataclass(frozen=True)
class Stats:
    words: int


async def test_values_flow_through_fields_and_inputs() -> None:
    @node
    async def fetch(url: str) -> Page:
        return Page(title=url.upper(), body=f"text of {url}")

    @node
    def count(text: str) -> Stats:
        return Stats(words=len(text.split()))

    @node(blocking=False)
    def report(title: str, words: int) -> str:
        return f"{title}: {words} words"

    b = GraphBuilder("fields", inputs={"url": str})
    page = b.add(fetch, inputs={"url": "inputs.url"})
    stats = b.add(count, inputs={"text": page.field("body")})
    out = b.add(report, inputs={"title": "fetch.title", "words": stats.field("words")})
    graph = b.build(out)

    result = await graph.run({"url": "a b"})

    assert result.status is RunStatus.SUCCEEDED
    assert result.output == "A B: 4 words"
    assert result.nodes["count"].output == Stats(words=4)
    assert result.nodes["fetch"].attempts == 1


async def test_output_can_select_a_field() -> None:
    @node
    async def fetch(url: str) -> Page:
        return Page(title="T", body=url)

    b = GraphBuilder("field-output", inputs={"url": str})
    b.add(fetch, inputs={"url": "inputs.url"})
    graph = b.build("fetch.body")

    assert graph.output_type is str
    assert (await graph.run({"url": "x"})).output == "x"


async def test_independent_branches_run_concurrently() -> None:
    """Each branch waits for the other to start: sequential execution would deadlock."""
    started = {"left": anyio.Event(), "right": anyio.Event()}

    def branch(name: str, other: str):  # type: ignore[no-untyped-def]
        async def run(x: int) -> int:
            started[name].set()
            with anyio.fail_after(5):
                await started[other].wait()
            return x

        return run

    @node
    async def join(a: int, b: int) -> int:
        return a + b

    b = GraphBuilder("rendezvous", inputs={"x": int})
    left = b.add(branch("left", "right"), id="left", inputs={"x": "inputs.x"})
    right = b.add(branch("right", "left"), id="right", inputs={"x": "inputs.x"})
    out = b.add(join, inputs={"a": left, "b": right})
    result = await b.build(out).run({"x": 2})
    assert result.output == 4


async def test_no_superstep_barrier() -> None:
    """In a -> (b -> d, c), d runs while c is still running (c waits for d to finish)."""
    d_done = anyio.Event()

    @node
    async def a() -> int:
        return 1

    @node
    async def b(x: int) -> int:
        return x + 1

    @node
    async def c(x: int) -> int:
        with anyio.fail_after(5):
            await d_done.wait()
        return x * 10

    @node
    async def d(x: int) -> int:
        d_done.set()
        return x + 100

    @node
    async def total(left: int, right: int) -> int:
        return left + right

    builder = GraphBuilder("no-barrier")
    ra = builder.add(a)
    rb = builder.add(b, inputs={"x": ra})
    rc = builder.add(c, inputs={"x": ra})
    rd = builder.add(d, inputs={"x": rb})
    out = builder.add(total, inputs={"left": rd, "right": rc})
    result = await builder.build(out).run()
    assert result.output == 102 + 10


async def test_two_sleeping_branches_take_the_max_not_the_sum() -> None:
    @node
    async def slow(x: int) -> int:
        await anyio.sleep(0.3)
        return x

    @node
    def slow_sync(x: int) -> int:
        time.sleep(0.3)
        return x

    @node
    async def join(a: int, b: int) -> int:
        return a + b

    b = GraphBuilder("max-not-sum", inputs={"x": int})
    ra = b.add(slow, inputs={"x": "inputs.x"})
    rb = b.add(slow_sync, inputs={"x": "inputs.x"})
    graph = b.build(b.add(join, inputs={"a": ra, "b": rb}))

    began = time.perf_counter()
    result = await graph.run({"x": 1})
    elapsed = time.perf_counter() - began

    assert result.output == 2
    assert elapsed < 0.55, f"branches ran one after the other ({elapsed:.2f} s for 2 x 0.3 s)"


async def test_run_wide_concurrency_limit() -> None:
    running = 0
    peak = 0

    async def work(x: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.01)
        running -= 1
        return x

    @node
    async def total(a: int, b: int, c: int, d: int, e: int) -> int:
        return a + b + c + d + e

    b = GraphBuilder("limited", inputs={"x": int})
    refs = {name: b.add(work, id=name, inputs={"x": "inputs.x"}) for name in "abcde"}
    graph = b.build(b.add(total, inputs=refs))

    result = await graph.run({"x": 1}, options=RunOptions(max_concurrency=2))
    assert result.output == 5
    assert peak == 2


async def test_pool_limits_only_its_nodes() -> None:
    running = {"api": 0, "free": 0}
    peak = {"api": 0, "free": 0}

    def worker(kind: str):  # type: ignore[no-untyped-def]
        async def work(x: int) -> int:
            running[kind] += 1
            peak[kind] = max(peak[kind], running[kind])
            await anyio.sleep(0.02)
            running[kind] -= 1
            return x

        return work

    @node
    async def total(a: int, b: int, c: int, d: int, e: int, f: int) -> int:
        return a + b + c + d + e + f

    b = GraphBuilder("pools", inputs={"x": int}, pools={"api": 1})
    refs = {}
    for name in "abc":
        refs[name] = b.add(worker("api"), id=name, pool="api", inputs={"x": "inputs.x"})
    for name in "def":
        refs[name] = b.add(worker("free"), id=name, inputs={"x": "inputs.x"})
    result = await b.build(b.add(total, inputs=refs)).run({"x": 1})

    assert result.output == 6
    assert peak == {"api": 1, "free": 3}


async def test_nodes_can_ask_for_their_run_context() -> None:
    seen: list[RunContext] = []

    @node
    async def look(x: int, context: RunContext) -> int:
        seen.append(context)
        return x

    b = GraphBuilder("context", inputs={"x": int})
    graph = b.build(b.add(look, inputs={"x": "inputs.x"}))
    assert [item.name for item in graph.nodes["look"].inputs] == ["x"]

    result = await graph.run({"x": 3}, options=RunOptions(run_id="run-1"))
    assert result.run_id == "run-1"
    (context,) = seen
    assert (context.run_id, context.node, context.attempt) == ("run-1", "look", 1)
    assert len(context.idempotency_key) == 64


async def test_parameterless_nodes_and_defaults() -> None:
    @node
    def constant() -> int:
        return 7

    @node
    async def add(a: int, b: int = 100) -> int:
        return a + b

    b = GraphBuilder("defaults")
    result = await b.build(b.add(add, inputs={"a": b.add(constant)})).run()
    assert result.output == 107
    assert result.nodes["constant"].status is NodeStatus.SUCCEEDED


def test_run_sync_on_both_backends() -> None:
    @node
    async def double(x: int) -> int:
        await anyio.lowlevel.checkpoint()
        return 2 * x

    b = GraphBuilder("sync", inputs={"x": int})
    graph = b.build(b.add(double, inputs={"x": "inputs.x"}))
    assert graph.run_sync({"x": 4}).output == 8
    assert graph.run_sync({"x": 5}, backend="trio").output == 10
