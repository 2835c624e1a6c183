"""The same graph on the same inputs gives byte-identical traces, however branches interleave."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Literal

import anyio
import pytest

from plait import Graph, GraphBuilder, RetryPolicy, RunContext, RunOptions, node
from plait.engine import Event, ManualClock, NodeFinished, Trace, trace

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
RUNS = 20


class Delays:
    """Seeded random sleeps in node bodies: each run reseeds, so each interleaves anew."""

    def __init__(self) -> None:
        self.random = random.Random(0)

    def seed(self, seed: int) -> None:
        self.random = random.Random(seed)

    async def sleep(self) -> None:
        await anyio.sleep(self.random.random() * 0.004)


def busy_graph(delays: Delays) -> Graph[object]:
    """Parallel branches of every kind: retries, reports, a router, a map, a loop, a subgraph."""

    @node
    async def plan(topic: str) -> list[str]:
        await delays.sleep()
        return [f"{topic} {part}" for part in ("history", "today", "future")]

    @node(retry=RetryPolicy(max_attempts=2, jitter=0))
    async def search(queries: list[str], context: RunContext) -> dict[str, int]:
        for query in queries:
            context.emit("tool_call", {"name": "search", "query": query})
            await delays.sleep()
            context.emit("token", {"text": query})
            context.emit("tool_result", {"name": "search", "hits": len(query)})
        if context.attempt == 1:
            raise ConnectionError("search backend reset the connection")
        return {query: len(query) for query in queries}

    @node
    async def fetch(query: str) -> str:
        await delays.sleep()
        return query.upper()

    @node
    async def size(topic: str) -> Literal["short", "long"]:
        await delays.sleep()
        return "long" if len(topic) > 5 else "short"

    @node
    async def brief(topic: str) -> str:
        await delays.sleep()
        return f"brief on {topic}"

    @node
    async def detailed(topic: str) -> str:
        await delays.sleep()
        return f"details on {topic}"

    @node
    async def polish(draft: str) -> str:
        await delays.sleep()
        return draft + "!"

    @node
    async def left(text: str) -> str:
        await delays.sleep()
        return f"<{text}"

    @node
    async def right(text: str) -> str:
        await delays.sleep()
        return f"{text}>"

    inner = GraphBuilder("sides", inputs={"text": str})
    inner.add(left, inputs={"text": "inputs.text"})
    inner.add(right, inputs={"text": "inputs.text"})
    inner.join("both", inputs={"left": "left", "right": "right"})
    sides = inner.build("both")

    body = GraphBuilder("polisher", inputs={"draft": str})
    polisher = body.build(body.add(polish, inputs={"draft": "inputs.draft"}))

    b = GraphBuilder("busy", inputs={"topic": str})
    queries = b.add(plan, inputs={"topic": "inputs.topic"})
    found = b.add(search, inputs={"queries": queries})
    pages = b.map(fetch, id="pages", over="query", inputs={"query": queries})
    router = b.add(size, inputs={"topic": "inputs.topic"})
    short = b.add(brief, inputs={"topic": "inputs.topic"})
    long = b.add(detailed, inputs={"topic": "inputs.topic"})
    b.route(router, {"short": short, "long": long})
    framed = b.add(sides, id="framed", inputs={"text": "inputs.topic"})
    polished = b.loop(
        polisher,
        id="polished",
        carry="draft",
        max_iterations=3,
        until=lambda text: text.endswith("!!"),
        inputs={"draft": "inputs.topic"},
    )
    b.join(
        "report",
        inputs={
            "found": found,
            "pages": pages,
            "short": short,
            "long": long,
            "framed": framed,
            "polished": polished,
        },
    )
    return b.build("report")


async def _traced(graph: Graph[object], delays: Delays, seed: int) -> tuple[Trace, list[str]]:
    delays.seed(seed)
    finished: list[str] = []

    def arrival(event: Event) -> None:
        if isinstance(event, NodeFinished):
            finished.append(event.node)

    result, found = await trace(
        graph,
        {"topic": "graph engines"},
        options=RunOptions(clock=ManualClock()),
        listeners=(arrival,),
    )
    result.raise_for_status()
    return found, finished


async def test_twenty_runs_with_random_delays_give_byte_identical_traces() -> None:
    delays = Delays()
    graph = busy_graph(delays)
    texts: set[str] = set()
    yamls: set[str] = set()
    arrivals: set[tuple[str, ...]] = set()

    for seed in range(RUNS):
        found, finished = await _traced(graph, delays, seed)
        texts.add(found.to_json())
        yamls.add(found.to_yaml())
        arrivals.add(tuple(finished))

    assert len(arrivals) > 1, "the delays did not change the order nodes finished in"
    assert len(texts) == 1
    assert len(yamls) == 1
    (text,) = texts
    parsed = Trace.from_json(text)
    assert [node.node for node in parsed.nodes] == [  # the plan's order, nested in place
        "plan",
        "size",
        "framed",
        "framed/left",
        "framed/right",
        "framed/both",
        "polished",
        "polished[0]/polish",
        "polished[1]/polish",
        "search",
        "pages",
        "pages[0]/fetch",
        "pages[1]/fetch",
        "pages[2]/fetch",
        "brief",
        "detailed",
        "report",
    ]
    search = parsed.node("search")
    assert search.attempts == 2
    assert [error.type for error in search.errors] == ["ConnectionError"]
    assert [(call.attempt, call.kind) for call in search.calls][:2] == [
        (1, "tool_call"),
        (1, "tool_result"),
    ]
    assert all(call.kind != "token" for call in search.calls)
    assert parsed.node("brief").status.value == "skipped"
    assert parsed.node("polished[1]/polish").inputs == {"draft": "graph engines!"}
    assert parsed.node("pages[2]/fetch").inputs == {"query": "graph engines future"}


def test_traces_are_identical_across_processes_and_hash_seeds() -> None:
    script = (
        "import anyio\n"
        "from tests.engine.test_trace_determinism import Delays, _traced, busy_graph\n"
        "delays = Delays()\n"
        "found, _ = anyio.run(_traced, busy_graph(delays), delays, 7)\n"
        "print(found.to_json(), end='')\n"
    )
    outputs = set()
    for hash_seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
        completed = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=environment,
        )
        outputs.add(completed.stdout)
    assert len(outputs) == 1
