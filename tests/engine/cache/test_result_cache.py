"""Cached nodes across runs: a hit skips the node; anything else about the cache is a miss."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter

import pytest

from plait import CachePolicy, Graph, GraphBuilder, NodeRef, RunOptions, node
from plait.engine import (
    CacheEntry,
    Event,
    MemoryCache,
    MemoryStore,
    NodeFinished,
    NodeStarted,
    ResultCache,
    SQLiteCache,
)
from plait.engine._resume import resume
from plait.nodes import ScriptedModel, Secrets, agent

pytestmark = pytest.mark.anyio


def _chain(calls: Counter[str], *, name: str = "chain", extra: bool = False) -> Graph[str]:
    """inputs.x -> double (cached) -> square (cached, key=node) -> shout (not cached)."""

    @node(cache=CachePolicy())
    def double(x: int) -> int:
        calls["double"] += 1
        return 2 * x

    @node(cache=CachePolicy(key="node", ttl=60.0))
    async def square(y: int) -> int:
        calls["square"] += 1
        return y * y

    @node
    def shout(z: int) -> str:
        calls["shout"] += 1
        return f"{z}!"

    def same(v: int) -> int:
        return v

    b = GraphBuilder(name, inputs={"x": int})
    last: NodeRef[int] = b.add(square, inputs={"y": b.add(double, inputs={"x": "inputs.x"})})
    if extra:  # a changed graph: one more node after square
        last = b.add(same, inputs={"v": last})
    return b.build(b.add(shout, inputs={"z": last}))


class Wall:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_second_run_executes_no_cached_node(cache: ResultCache) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls)
    events: list[Event] = []
    first = await graph.run({"x": 3}, options=RunOptions(cache=cache))
    second = await graph.run({"x": 3}, options=RunOptions(cache=cache), listeners=(events.append,))

    assert first.output == second.output == "36!"
    assert calls == Counter(double=1, square=1, shout=2)
    assert [name for name, outcome in second.nodes.items() if outcome.cached] == [
        "double",
        "square",
    ]
    assert second.nodes["double"].attempts == 0
    assert not first.nodes["double"].cached
    finished = {event.node: event for event in events if isinstance(event, NodeFinished)}
    assert finished["double"].cached
    assert finished["square"].cached
    assert not finished["shout"].cached
    started = {event.node for event in events if isinstance(event, NodeStarted)}
    assert started == {"shout"}


async def test_different_inputs_miss(cache: ResultCache) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls)
    await graph.run({"x": 3}, options=RunOptions(cache=cache))
    result = await graph.run({"x": 4}, options=RunOptions(cache=cache))
    assert result.output == "64!"
    assert calls["double"] == 2
    assert calls["square"] == 2


async def test_a_changed_graph_misses_unless_the_key_is_the_node(cache: ResultCache) -> None:
    calls: Counter[str] = Counter()
    await _chain(calls).run({"x": 3}, options=RunOptions(cache=cache))
    changed = _chain(calls, extra=True)
    result = await changed.run({"x": 3}, options=RunOptions(cache=cache))
    assert result.output == "36!"
    # `double` is keyed on the graph's content hash: it changed. `square` on its own
    # definition (key="node"): that did not.
    assert calls["double"] == 2
    assert calls["square"] == 1
    assert result.nodes["square"].cached
    assert not result.nodes["double"].cached


async def test_an_entry_expires_after_its_ttl(cache: ResultCache) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls)
    wall = Wall()
    options = RunOptions(cache=cache, wall=wall)
    await graph.run({"x": 3}, options=options)
    wall.now += 59.0
    await graph.run({"x": 3}, options=options)
    assert calls["double"] == 1
    assert calls["square"] == 1
    wall.now += 2.0  # square's ttl (60 s) has passed; double's entry never expires
    await graph.run({"x": 3}, options=options)
    assert calls["double"] == 1
    assert calls["square"] == 2
    await graph.run({"x": 3}, options=options)  # the fresh entry is used again
    assert calls["square"] == 2


async def test_without_a_cache_every_node_runs(cache: ResultCache) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls)
    await graph.run({"x": 3}, options=RunOptions(cache=cache))
    result = await graph.run({"x": 3})  # no cache option: what `--no-cache` passes
    assert calls["double"] == 2
    assert not result.nodes["double"].cached


async def test_a_corrupt_entry_is_a_miss_and_a_warning(
    cache: ResultCache, caplog: pytest.LogCaptureFixture
) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls)
    spy = _Spy(cache)
    await graph.run({"x": 3}, options=RunOptions(cache=spy, wall=lambda: 1000.0))
    double = spy.written["double"]
    await cache.put(dataclasses.replace(double, data=b"7"))  # bytes changed at rest

    with caplog.at_level(logging.WARNING, logger="plait.cache"):
        result = await graph.run({"x": 3}, options=RunOptions(cache=cache, wall=lambda: 1000.0))

    assert result.output == "36!"
    assert calls["double"] == 2
    assert calls["square"] == 1
    (record,) = [r for r in caplog.records if r.name == "plait.cache"]
    assert "`double`" in record.getMessage()
    assert "checksum" in record.getMessage()
    repaired = await cache.get(double.key, 1000.0)  # the fresh output replaced it
    assert repaired is not None
    assert repaired.intact()
    assert repaired.data == b"6"


async def test_an_entry_that_no_longer_decodes_is_a_miss_and_a_warning(
    cache: ResultCache, caplog: pytest.LogCaptureFixture
) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls)
    spy = _Spy(cache)
    await graph.run({"x": 3}, options=RunOptions(cache=spy))
    square = spy.written["square"]
    wrong = CacheEntry.of(square.key, "chain", "square", b'"thirty-six"', 1000.0, None)
    await cache.put(wrong)  # intact, but not an int: the node's type changed, say

    with caplog.at_level(logging.WARNING, logger="plait.cache"):
        result = await graph.run({"x": 3}, options=RunOptions(cache=cache))

    assert result.ok
    assert calls["square"] == 2
    assert any("does not decode" in r.getMessage() for r in caplog.records)


async def test_a_failing_cache_never_fails_the_run(
    cache_kind: str, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    calls: Counter[str] = Counter()
    broken = SQLiteCache(f"{tmp_path}/never-opened.db")  # every call raises StoreError
    with caplog.at_level(logging.WARNING, logger="plait.cache"):
        result = await _chain(calls).run({"x": 3}, options=RunOptions(cache=broken))
    assert result.output == "36!"
    assert calls["double"] == 1
    assert any("lookup failed" in r.getMessage() for r in caplog.records)
    assert any("not cached" in r.getMessage() for r in caplog.records)


async def test_a_hit_is_committed_so_a_durable_run_resumes(cache: ResultCache) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls)
    store = MemoryStore()
    await graph.run({"x": 3}, options=RunOptions(cache=cache))
    result = await graph.run({"x": 3}, options=RunOptions(cache=cache, store=store))
    assert result.ok
    assert calls["double"] == 1
    stored = await store.load(result.run_id)
    assert stored is not None
    assert stored.outputs["double"].attempt == 0
    again = await resume(graph, result.run_id, store=store)
    assert again.output == "36!"
    assert calls == Counter(double=1, square=1, shout=2)


async def test_a_value_holding_a_secret_is_never_cached(cache: ResultCache) -> None:
    @node(cache=CachePolicy())
    def leak(x: int) -> str:
        return f"token-sk-live-1234 for {x}"

    b = GraphBuilder("leaky", inputs={"x": int})
    graph = b.build(b.add(leak, inputs={"x": "inputs.x"}))
    spy = _Spy(cache)
    secrets = Secrets(["sk-live-1234"])
    result = await graph.run({"x": 1}, options=RunOptions(cache=spy, secrets=secrets))
    assert result.ok
    assert spy.written == {}


async def test_agents_are_cached_only_when_asked(cache: ResultCache) -> None:
    cached_model = ScriptedModel(["first answer", "second answer"])
    plain_model = ScriptedModel(["one", "two"])
    asked = agent("asked", model=cached_model, cache=CachePolicy(), retry=None)
    plain = agent("plain", model=plain_model, retry=None)
    b = GraphBuilder("agents", inputs={"message": str})
    first = b.add(asked, inputs={"message": "inputs.message"})
    graph = b.build(b.add(plain, inputs={"message": first}))

    one = await graph.run({"message": "hi"}, options=RunOptions(cache=cache))
    two = await graph.run({"message": "hi"}, options=RunOptions(cache=cache))

    assert one.output == "one"
    assert two.output == "two"
    assert len(cached_model.requests) == 1
    assert len(plain_model.requests) == 2
    assert two.nodes["asked"].cached
    assert not two.nodes["plain"].cached


class _Spy:
    """A cache that remembers what was written, by node path."""

    def __init__(self, inner: ResultCache | None = None) -> None:
        self.inner = inner or MemoryCache()
        self.written: dict[str, CacheEntry] = {}

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def get(self, key: str, now: float) -> CacheEntry | None:
        return await self.inner.get(key, now)

    async def put(self, entry: CacheEntry) -> None:
        self.written[entry.node] = entry
        await self.inner.put(entry)

    async def clear(self, graph: str | None = None) -> int:
        return await self.inner.clear(graph)


async def test_a_trace_marks_cached_nodes_and_stays_deterministic(cache: ResultCache) -> None:
    from plait.engine import Trace, TraceRecorder

    calls: Counter[str] = Counter()
    graph = _chain(calls)
    texts = []
    for _ in range(3):
        recorder = TraceRecorder(graph)
        await graph.run({"x": 3}, options=RunOptions(cache=cache), listeners=(recorder,))
        texts.append(recorder.trace().to_json())
    first, second, _third = (Trace.from_json(text) for text in texts)
    assert [node.cached for node in first.nodes] == [False, False, False]
    assert [(node.node, node.cached, node.attempts) for node in second.nodes] == [
        ("double", True, 0),
        ("square", True, 0),
        ("shout", False, 1),
    ]
    assert second.nodes[0].inputs == {"x": 3}
    assert second.nodes[1].output == 36
    assert texts[1] == texts[2]  # cached runs trace byte for byte alike
    assert '"cached": true' not in texts[0]
