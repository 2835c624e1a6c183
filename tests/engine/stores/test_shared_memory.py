"""Shared run memory: typed keys per run, thread and graph, committed with node outputs,
on every store (memory, SQLite, PostgreSQL) and on asyncio and trio."""

from __future__ import annotations

import dataclasses
from collections import Counter
from functools import partial
from typing import Any

import anyio
import pytest

from plait import Graph, GraphBuilder, RunContext, RunOptions, RunStatus, node
from plait.engine._resume import fork, resume
from plait.nodes import Key, NodeFailedError, Secrets, SharedMemoryError

from .harness import AnyStore, Harness

pytestmark = pytest.mark.anyio

LOG = Key("log", list[str])
SEEN = Key("seen", list[str], scope="thread")
RUNS = Key("runs", int, scope="graph")


def _visits() -> Graph[tuple[list[str], list[str], int]]:
    @node
    async def visit(ctx: RunContext, thread: str, text: str) -> str:
        assert ctx.shared is not None
        await ctx.shared.set(LOG, [*await ctx.shared.get(LOG, []), text])
        await ctx.shared.set(SEEN, [*await ctx.shared.get(SEEN, []), text])
        await ctx.shared.set(RUNS, await ctx.shared.get(RUNS, 0) + 1)
        return text

    @node
    async def report(ctx: RunContext, text: str) -> tuple[list[str], list[str], int]:
        assert ctx.shared is not None
        log, seen = await ctx.shared.get(LOG, []), await ctx.shared.get(SEEN, [])
        return log, seen, await ctx.shared.get(RUNS, 0)

    builder = GraphBuilder("visits", inputs={"thread": str, "text": str})
    first = builder.add(visit, inputs={"thread": "inputs.thread", "text": "inputs.text"})
    return builder.build(builder.add(report, inputs={"text": first}))


async def test_each_scope_is_shared_as_declared_across_runs(store: AnyStore) -> None:
    graph = _visits()
    options = RunOptions(store=store)

    one = await graph.run({"thread": "t1", "text": "hello"}, options=options)
    two = await graph.run({"thread": "t1", "text": "again"}, options=options)
    other = await graph.run({"thread": "t2", "text": "elsewhere"}, options=options)

    assert one.output == (["hello"], ["hello"], 1)
    assert two.output == (["again"], ["hello", "again"], 2)  # run: its own; thread: shared
    assert other.output == (["elsewhere"], ["elsewhere"], 3)  # graph: every run
    stored = await store.load(two.run_id)
    assert stored is not None
    assert [(w.scope, w.owner, w.key, w.node) for w in stored.shared] == [
        ("run", two.run_id, "log", "visit"),
        ("thread", "t1", "seen", "visit"),
        ("graph", "visits", "runs", "visit"),
    ]


def _chain(calls: Counter[str], broken: set[str]) -> Graph[str]:
    def step(name: str):  # type: ignore[no-untyped-def]
        async def work(ctx: RunContext, text: str) -> str:
            assert ctx.shared is not None
            calls[name] += 1
            await ctx.shared.set(LOG, [*await ctx.shared.get(LOG, []), name])
            await ctx.shared.set(RUNS, await ctx.shared.get(RUNS, 0) + 1)
            if name in broken:
                raise RuntimeError(f"{name} crashed after writing")
            return text + name

        work.__name__ = name
        return node(work)

    builder = GraphBuilder("steps", inputs={"text": str})
    previous: Any = "inputs.text"
    for name in "abcd":
        previous = builder.add(step(name), inputs={"text": previous})
    return builder.build(previous)


async def test_a_resumed_run_sees_the_memory_as_committed_and_never_writes_twice(
    store: AnyStore,
) -> None:
    calls: Counter[str] = Counter()
    broken = {"c"}
    graph = _chain(calls, broken)

    failed = await graph.run({"text": ""}, options=RunOptions(store=store))
    assert failed.status is RunStatus.FAILED
    broken.clear()
    resumed = await resume(graph, failed.run_id, store=store)

    assert resumed.output == "abcd"
    assert calls == Counter(a=1, b=1, c=2, d=1)  # c ran again; a and b never
    stored = await store.load(failed.run_id)
    assert stored is not None
    log = [w for w in stored.shared if w.key == "log"]
    assert [w.node for w in log] == ["a", "b", "c", "d"]  # c's failed write never landed
    final = await store.load_shared("run", failed.run_id, "log")
    assert final is not None
    assert final.data == b'["a","b","c","d"]'
    runs = await store.load_shared("graph", "steps", "runs")
    assert runs is not None
    assert runs.data == b"4"  # one increment per committed node


async def test_a_fork_starts_from_the_memory_at_its_fork_point(store: AnyStore) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls, set())
    first = await graph.run({"text": ""}, options=RunOptions(store=store))

    forked = await fork(graph, first.run_id, store=store, at="c")

    assert forked.output == "abcd"
    log = await store.load_shared("run", forked.run_id, "log")
    assert log is not None
    assert log.data == b'["a","b","c","d"]'  # not a,b,c,d,c,d
    parent = await store.load_shared("run", first.run_id, "log")
    assert parent is not None
    assert parent.data == b'["a","b","c","d"]'


async def test_of_two_parallel_writes_the_last_committed_wins(store: AnyStore) -> None:
    WINNER = Key("winner", str)

    def branch(name: str, delay: float):  # type: ignore[no-untyped-def]
        async def write(ctx: RunContext, text: str) -> str:
            assert ctx.shared is not None
            await anyio.sleep(delay)
            await ctx.shared.set(WINNER, name)
            return name

        write.__name__ = name
        return node(write)

    @node
    async def read(ctx: RunContext, fast: str, slow: str) -> str:
        assert ctx.shared is not None
        return await ctx.shared.get(WINNER, "")

    builder = GraphBuilder("race", inputs={"text": str})
    fast = builder.add(branch("fast", 0), inputs={"text": "inputs.text"})
    slow = builder.add(branch("slow", 0.05), inputs={"text": "inputs.text"})
    graph = builder.build(builder.add(read, inputs={"fast": fast, "slow": slow}))
    result = await graph.run({"text": ""}, options=RunOptions(store=store))

    assert result.output == "slow"
    stored = await store.load(result.run_id)
    assert stored is not None
    versions = {w.node: w.version for w in stored.shared}
    assert versions["slow"] > versions["fast"]


@pytest.mark.stores("memory", "sqlite")
async def test_a_wrong_type_and_a_secret_are_refused_naming_the_key(store: AnyStore) -> None:
    key = "sk-test-0123456789abcdef"

    @node
    async def write(ctx: RunContext, value: str) -> str:
        assert ctx.shared is not None
        if value == "int":
            await ctx.shared.set(LOG, 3)  # type: ignore[misc]
        await ctx.shared.set(LOG, [value])
        return value

    builder = GraphBuilder("refusals", inputs={"value": str})
    graph = builder.build(builder.add(write, inputs={"value": "inputs.value"}))
    options = RunOptions(store=store, secrets=Secrets([key]))

    wrong = await graph.run({"value": "int"}, options=options)
    secret = await graph.run({"value": f"token {key}"}, options=options)

    assert wrong.error is not None
    assert secret.error is not None
    for result in (wrong, secret):
        assert isinstance(result.error, NodeFailedError)
        assert isinstance(result.error.__cause__, SharedMemoryError)
        stored = await store.load(result.run_id)
        assert stored is not None
        assert stored.shared == []
    assert "shared key `log` (per run): expected `list[str]`, found `int`" in str(
        wrong.error.__cause__
    )
    assert "holds one of the run's secrets" in str(secret.error.__cause__)
    assert key not in str(secret.error.__cause__)


@pytest.mark.stores("memory")
async def test_without_a_store_memory_lives_in_the_run_and_a_retry_writes_once(
    store: AnyStore,
) -> None:
    from plait import RetryPolicy

    attempts: Counter[str] = Counter()

    @node(retry=RetryPolicy(max_attempts=2, initial_delay=0, retry_on=(RuntimeError,)))
    async def flaky(ctx: RunContext, text: str) -> str:
        assert ctx.shared is not None
        attempts["flaky"] += 1
        await ctx.shared.set(LOG, [*await ctx.shared.get(LOG, []), text])
        if attempts["flaky"] == 1:
            raise RuntimeError("once")
        return text

    @node
    async def read(ctx: RunContext, text: str) -> list[str]:
        assert ctx.shared is not None
        return await ctx.shared.get(LOG, [])

    builder = GraphBuilder("local", inputs={"text": str})
    graph = builder.build(
        builder.add(read, inputs={"text": builder.add(flaky, inputs={"text": "inputs.text"})})
    )

    assert (await graph.run({"text": "x"})).output == ["x"]  # the failed attempt's write: gone
    assert (await graph.run({"text": "y"})).output == ["y"]  # a new run: a new memory


@pytest.mark.stores("memory")
async def test_a_thread_key_in_a_run_without_a_thread_says_how_to_give_one(
    store: AnyStore,
) -> None:
    @node
    async def write(ctx: RunContext, text: str) -> str:
        assert ctx.shared is not None
        await ctx.shared.set(SEEN, [text])
        return text

    builder = GraphBuilder("threadless", inputs={"text": str})
    graph = builder.build(builder.add(write, inputs={"text": "inputs.text"}))
    result = await graph.run({"text": "x"}, options=RunOptions(store=store))
    assert "needs a `thread: str` input" in str(result.error.__cause__)  # type: ignore[union-attr]


@node
async def tally(ctx: RunContext, text: str) -> int:
    assert ctx.shared is not None
    count = await ctx.shared.get(RUNS, 0) + 1
    await ctx.shared.set(RUNS, count)
    return count


@pytest.mark.stores("memory", "sqlite")
async def test_a_node_from_a_json_spec_uses_shared_memory_too(store: AnyStore) -> None:
    from plait import Registry, load

    spec = {
        "plait": "1",
        "name": "counted",
        "inputs": {"text": "str"},
        "output": "tally",
        "nodes": [
            {"id": "tally", "kind": "function", "function": "tally",
             "inputs": {"text": "inputs.text"}},
        ],
    }  # fmt: skip
    graph = load(spec, Registry(functions=[tally]))
    options = RunOptions(store=store)
    outputs = [(await graph.run({"text": "x"}, options=options)).output for _ in range(2)]
    assert outputs == [1, 2]  # graph memory: the second run sees the first's write


def _appenders(names: str, *, atomic: bool) -> Graph[list[str]]:
    """Four parallel branches that each read the list, wait until all four have read,
    then write it with their name."""
    read: list[str] = []
    everyone = anyio.Event()

    async def all_have_read(name: str) -> None:
        read.append(name)
        if len(read) == len(names):
            everyone.set()
        await everyone.wait()

    def branch(name: str):  # type: ignore[no-untyped-def]
        async def append(ctx: RunContext, text: str) -> str:
            assert ctx.shared is not None
            if atomic:
                seen = await ctx.shared.update(NAMES, lambda names: [*names, name], [])
                assert seen[-1] == name  # the node reads its own update at once
                await all_have_read(name)
            else:
                names = await ctx.shared.get(NAMES, [])
                await all_have_read(name)
                await ctx.shared.set(NAMES, [*names, name])
            return name

        append.__name__ = name
        return node(append)

    @node
    async def gather(ctx: RunContext, a: str, b: str, c: str, d: str) -> list[str]:
        assert ctx.shared is not None
        names: list[str] = await ctx.shared.get(NAMES, [])
        return sorted(names)

    builder = GraphBuilder("appenders", inputs={"text": str})
    done = [builder.add(branch(name), inputs={"text": "inputs.text"}) for name in names]
    return builder.build(builder.add(gather, inputs=dict(zip("abcd", done, strict=True))))


NAMES = Key("names", list[str], scope="graph")


async def test_parallel_branches_appending_with_update_lose_no_write(store: AnyStore) -> None:
    lossy = await _appenders("abcd", atomic=False).run(
        {"text": ""}, options=RunOptions(store=store)
    )
    assert lossy.output is not None
    assert len(lossy.output) == 1  # get-then-set: each commit overwrites the others

    graph = _appenders("wxyz", atomic=True)
    result = await graph.run({"text": ""}, options=RunOptions(store=store))

    assert result.output is not None
    assert len(result.output) == 5
    assert [name for name in result.output if name in "wxyz"] == ["w", "x", "y", "z"]
    stored = await store.load_shared("graph", "appenders", "names")
    assert stored is not None
    assert stored.data.count(b'"') == 2 * 5


async def test_concurrent_runs_on_separate_connections_update_one_key_atomically(
    harness: Harness, store: AnyStore
) -> None:
    other = harness.make()
    await other.open()
    try:
        graphs = [_appenders(names, atomic=True) for names in ("abcd", "efgh", "ijkl")]
        async with anyio.create_task_group() as group:
            for i, graph in enumerate(graphs):
                options = RunOptions(store=(store, other)[i % 2])
                group.start_soon(partial(graph.run, {"text": ""}, options=options))
    finally:
        await other.close()

    stored = await store.load_shared("graph", "appenders", "names")
    assert stored is not None
    assert sorted(stored.data.decode().strip("[]").replace('"', "").split(",")) == list(
        "abcdefghijkl"
    )


@pytest.mark.stores("memory")
async def test_update_composes_with_the_nodes_own_writes_and_without_a_store(
    store: AnyStore,
) -> None:
    COUNT = Key("count", int)
    events: dict[str, anyio.Event] = {}

    @node
    async def bump(ctx: RunContext, text: str) -> int:
        assert ctx.shared is not None
        await events["first"].wait()  # twice has made its first update
        assert await ctx.shared.update(COUNT, lambda n: n + 1, 10) == 11
        assert await ctx.shared.update(COUNT, lambda n: n * 2, 0) == 22
        await ctx.shared.set(COUNT, 1)
        events["bumped"].set()
        return await ctx.shared.update(COUNT, lambda n: n + 1, 0)

    @node
    async def twice(ctx: RunContext, text: str) -> int:
        assert ctx.shared is not None
        assert await ctx.shared.update(COUNT, lambda n: n + 1, 0) == 1
        events["first"].set()
        await events["bumped"].wait()
        await anyio.sleep(0.1)  # bump finishes meanwhile: the count is 2
        return await ctx.shared.update(COUNT, lambda n: n * 10, 0)

    @node
    async def read(ctx: RunContext, a: int, b: int) -> tuple[int, int, int]:
        assert ctx.shared is not None
        return a, b, await ctx.shared.get(COUNT, -1)

    builder = GraphBuilder("bumps", inputs={"text": str})
    a = builder.add(bump, inputs={"text": "inputs.text"})
    b = builder.add(twice, inputs={"text": "inputs.text"})
    graph = builder.build(builder.add(read, inputs={"a": a, "b": b}))
    for options in (RunOptions(), RunOptions(store=store)):
        events.update(first=anyio.Event(), bumped=anyio.Event())
        result = await graph.run({"text": ""}, options=options)
        # twice saw 10, but its two updates, (n + 1) * 10, land on bump's 2
        assert result.output == (2, 10, 30)


async def test_an_update_that_raises_at_commit_stores_nothing_of_the_batch(
    store: AnyStore,
) -> None:
    """Outputs and shared writes commit together or not at all: an update whose change
    raises (the key moved on under it) leaves the outputs unstored too, on every store."""
    from plait.engine.stores._protocol import OutputRecord
    from plait.engine.stores._shared_record import SharedRecord

    from .test_conformance import run

    def refuse(latest: bytes | None) -> bytes:
        raise ValueError(f"cannot update {latest!r}")

    await store.put_run(run())
    write = SharedRecord.of("run", "r1", "log", "r1", "a", b"[]", 1.0)
    refused = SharedRecord.of("run", "r1", "count", "r1", "a", b"1", 1.0)
    with pytest.raises(Exception, match="cannot update"):
        await store.put_outputs(
            [OutputRecord.of("r1", "a", 1, b"1", 1.0)],
            [write, dataclasses.replace(refused, update=refuse)],
        )
    stored = await store.load("r1")
    assert stored is not None
    assert stored.outputs == {}
    assert list(stored.shared) == []
