"""A chain's commits are written at once when the store can (``WritesNow``): no coroutine
awaited, no shield, still fenced, still sealed, and refused (nothing written) whenever
the write would have to wait (docs/adr-028-commits-now.md)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plait import Graph, GraphBuilder, RunOptions, RunStatus, node
from plait.engine import MemoryStore, resume
from plait.engine.stores._protocol import Lease, LeaseLostError, OutputRecord, SharedRecord
from plait.engine.stores._seal import Sealer
from plait.engine.stores._sqlite import INLINE_RECORDS, SQLiteStore
from plait.engine.stores._writes_now import WritesNow

from .stores.test_conformance import run
from .stores.test_sqlite_inline import _writers

pytestmark = pytest.mark.anyio

STEPS = 30


class CountingStore(SQLiteStore):
    """A real SQLite store that counts its awaited and its immediate output commits."""

    def __init__(self, path: Path, **options: object) -> None:
        super().__init__(path, **options)  # type: ignore[arg-type]
        self.awaited: list[int] = []
        self.now: list[int] = []

    async def put_outputs(
        self,
        records: Sequence[OutputRecord],
        shared: Sequence[SharedRecord] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        self.awaited.append(len(records))
        await super().put_outputs(records, shared, lease=lease)

    def put_outputs_now(
        self, records: Sequence[OutputRecord], *, lease: Lease | None = None
    ) -> bool:
        written = super().put_outputs_now(records, lease=lease)
        if written:
            self.now.append(len(records))
        return written

    @property
    def batches(self) -> list[int]:
        """The size of every output transaction, awaited ones first."""
        return [*self.awaited, *self.now]


@node
async def add_one(x: int) -> int:
    return x + 1


def _chain(steps: int = STEPS) -> Graph[int]:
    builder = GraphBuilder("chain", inputs={"x": int})
    source = builder.add(add_one, id="n0", inputs={"x": "inputs.x"})
    for index in range(1, steps):
        source = builder.add(add_one, id=f"n{index}", inputs={"x": source})
    return builder.build(source)


async def test_a_chain_commits_every_output_at_once_on_the_loop(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "runs.db")
    async with store:
        assert isinstance(store, WritesNow)
        threads = _writers(store)
        options = RunOptions(store=store, run_id="r", durability="sync")
        result = await _chain().run({"x": 0}, options=options)
        stored = await store.load("r")

    assert result.status is RunStatus.SUCCEEDED
    assert result.output == STEPS
    assert store.now == [1] * STEPS  # one transaction per node, none awaited
    assert store.awaited == []
    assert set(threads) == {threading.get_ident()}
    assert stored is not None  # every record read back with its seal checked
    assert {name: record.data for name, record in stored.outputs.items()} == {
        f"n{index}": str(index + 1).encode() for index in range(STEPS)
    }


async def test_a_store_without_inline_writes_takes_the_awaited_path(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "runs.db", inline=False)
    async with store:
        threads = _writers(store)
        options = RunOptions(store=store, run_id="r", durability="sync")
        result = await _chain().run({"x": 0}, options=options)

    assert result.output == STEPS
    assert store.now == []
    assert store.awaited == [1] * STEPS
    assert threading.get_ident() not in threads


async def test_it_says_no_and_writes_nothing_when_the_write_would_wait(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    one = [OutputRecord.of("r1", "a", 1, b"1", 1.0)]
    async with SQLiteStore(path) as store:
        await store.put_run(run())
        many = [OutputRecord.of("r1", f"m{i}", 1, b"2", 2.0) for i in range(INLINE_RECORDS + 1)]
        assert store.put_outputs_now(many) is False  # too many for the loop
        big = [OutputRecord.of("r1", "big", 1, b"x" * (65 * 1024), 3.0)]
        assert store.put_outputs_now(big) is False  # too large for the loop
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's writer holds the file
        started = time.monotonic()
        assert store.put_outputs_now(one) is False
        assert time.monotonic() - started < 1.0  # refused at once, not after busy_timeout
        other.execute("COMMIT")
        other.close()
        lock = store._connection._lock
        assert lock is not None
        async with lock:  # a call is in flight in the worker thread
            assert store.put_outputs_now(one) is False
        loaded = await store.load("r1")
        assert loaded is not None
        assert loaded.outputs == {}
        assert store.put_outputs_now(one) is True
        loaded = await store.load("r1")
        assert loaded is not None
        assert loaded.outputs["a"].data == b"1"


async def test_it_leaves_a_due_checkpoint_to_the_thread(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "runs.db", checkpoint_pages=4) as store:
        await store.put_run(run())
        written = [
            store.put_outputs_now([OutputRecord.of("r1", f"n{i}", 1, b"1", 1.0)]) for i in range(10)
        ]
        assert False in written  # the WAL grew past 4 pages: the next write waits
        assert store._connection.wal.due()
        await store.put_outputs([OutputRecord.of("r1", "last", 1, b"1", 1.0)])
        assert not store._connection.wal.due()  # the awaited write checkpointed after
        assert store._connection.wal.results  # in the worker thread
        loaded = await store.load("r1")
        assert loaded is not None
        assert len(loaded.outputs) == written.count(True) + 1


async def test_a_commit_now_is_fenced(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "runs.db") as store:
        await store.put_run(run())
        stale = await store.acquire("r1", "alice", ttl=1.0, now=1000.0)
        await store.acquire("r1", "bob", ttl=30.0, now=1002.0)  # alice's lease expired
        with pytest.raises(LeaseLostError, match="bob"):
            store.put_outputs_now([OutputRecord.of("r1", "a", 1, b"1", 1.0)], lease=stale)
        loaded = await store.load("r1")
        assert loaded is not None
        assert loaded.outputs == {}


async def test_a_chain_cancelled_anywhere_keeps_whole_commits_and_resumes(
    tmp_path: Path,
) -> None:
    """Without a shield a commit made at once still cannot be cut: it awaits nothing. A
    chain cancelled at many points stores a prefix of whole outputs, and resumes."""
    graph = _chain(200)
    cuts: list[int] = []
    async with SQLiteStore(tmp_path / "runs.db") as store:
        for attempt in range(12):
            run_id = f"r{attempt}"
            with anyio.move_on_after(0.002 * (attempt + 1)):
                await graph.run({"x": 0}, options=RunOptions(store=store, run_id=run_id))
            stored = await store.load(run_id)
            if stored is None:  # cancelled before the run was recorded
                continue
            kept = sorted(int(name[1:]) for name in stored.outputs)
            assert kept == list(range(len(kept)))  # a prefix of the chain, nothing torn
            for index in kept:
                assert stored.outputs[f"n{index}"].data == str(index + 1).encode()
            cuts.append(len(kept))
            resumed = await resume(graph, run_id, store=store)
            assert resumed.output == 200
    assert len({cut for cut in cuts if 0 < cut < 200}) >= 3, cuts  # cut mid-chain


@given(
    run_id=st.text(max_size=20),
    path=st.text(max_size=40),
    attempt=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    data=st.binary(max_size=300),
    created=st.floats(allow_nan=False),
    key=st.sampled_from([b"", b"k", b"x" * 90]),
)
def test_the_output_seal_is_the_generic_seal_of_its_fields(
    run_id: str, path: str, attempt: int, data: bytes, created: float, key: bytes
) -> None:
    sealer = Sealer(key)
    try:
        expected = sealer.seal(b"output", run_id, path, attempt, data, created)
    except UnicodeEncodeError:  # a lone surrogate: neither can seal it
        with pytest.raises(UnicodeEncodeError):
            sealer.output(run_id, path, attempt, data, created)
        return
    assert sealer.output(run_id, path, attempt, data, created) == expected


class CountingMemory(MemoryStore):
    """The memory store, counting its awaited and its immediate output commits."""

    def __init__(self) -> None:
        super().__init__()
        self.awaited = 0
        self.now = 0

    async def put_outputs(
        self,
        records: Sequence[OutputRecord],
        shared: Sequence[SharedRecord] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        self.awaited += 1
        await super().put_outputs(records, shared, lease=lease)

    def put_outputs_now(
        self, records: Sequence[OutputRecord], *, lease: Lease | None = None
    ) -> bool:
        self.now += 1
        return super().put_outputs_now(records, lease=lease)


async def test_the_memory_store_commits_a_chain_at_once_too() -> None:
    store = CountingMemory()
    assert isinstance(store, WritesNow)
    result = await _chain().run({"x": 0}, options=RunOptions(store=store, run_id="r"))
    stored = await store.load("r")

    assert result.output == STEPS
    assert (store.now, store.awaited) == (STEPS, 0)
    assert stored is not None
    assert len(stored.outputs) == STEPS
