"""A store that fails mid-run: one ``StoreError``, the run recorded failed, and resumable."""

from __future__ import annotations

import errno
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from pathlib import Path

import anyio
import pytest

from plait import Graph, GraphBuilder, RetryPolicy, RunOptions, RunStatus, StoreError, run_sync
from plait.cli import main
from plait.engine import (
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    Lease,
    MemoryStore,
    OutputRecord,
    RunRecord,
    SharedRecord,
    SQLiteStore,
    Store,
    StoredRun,
    StoredStatus,
    ThreadRecord,
    resume,
)
from plait.engine.stores import _sqlite_queries as sqlite_queries
from plait.engine.stores._seal import Sealer

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
DISK_FULL = OSError(errno.ENOSPC, "No space left on device")


class FaultyStore:
    """Delegates to a real store; the methods named in ``broken`` raise ``error``.

    ``put_run`` is broken as ``put_run:<status>`` (``put_run:running`` records the run,
    the others its end). ``nodes`` narrows output writes to batches holding those nodes'
    records; ``after`` lets that many calls of a broken method through first.
    """

    def __init__(self, inner: Store, error: Exception = DISK_FULL) -> None:
        self.inner = inner
        self.error = error
        self.broken: set[str] = set()
        self.nodes: set[str] = set()
        self.after = 0

    def fail(self, method: str, nodes: Collection[str] = ()) -> None:
        if method not in self.broken or (nodes and self.nodes and self.nodes.isdisjoint(nodes)):
            return
        if self.after:
            self.after -= 1
            return
        raise self.error

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def put_run(self, record: RunRecord, *, lease: Lease | None = None) -> None:
        self.fail(f"put_run:{record.status.value}")
        await self.inner.put_run(record, lease=lease)

    async def put_outputs(
        self,
        records: Sequence[OutputRecord],
        shared: Sequence[SharedRecord] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        self.fail("put_outputs", {record.node for record in records})
        await self.inner.put_outputs(records, shared, lease=lease)

    async def load_shared(self, scope: str, owner: str, key: str) -> SharedRecord | None:
        return await self.inner.load_shared(scope, owner, key)

    async def put_failure(self, record: FailureRecord, *, lease: Lease | None = None) -> None:
        self.fail("put_failure")
        await self.inner.put_failure(record, lease=lease)

    async def put_interrupt(self, record: InterruptRecord, *, lease: Lease | None = None) -> None:
        self.fail("put_interrupt")
        await self.inner.put_interrupt(record, lease=lease)

    async def put_journal(
        self,
        run_id: str,
        records: Sequence[JournalRecord],
        discard: Sequence[str] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        self.fail("put_journal", [record.node for record in records])
        await self.inner.put_journal(run_id, records, discard, lease=lease)

    async def put_thread(self, record: ThreadRecord, *, lease: Lease | None = None) -> None:
        self.fail("put_thread")
        await self.inner.put_thread(record, lease=lease)

    async def load_thread(self, thread_id: str) -> Sequence[ThreadRecord]:
        return await self.inner.load_thread(thread_id)

    async def load(self, run_id: str) -> StoredRun | None:
        return await self.inner.load(run_id)

    async def list_runs(self, limit: int = 50) -> Sequence[RunRecord]:
        return await self.inner.list_runs(limit)

    async def acquire(
        self, run_id: str, owner: str, ttl: float, now: float, *, take_from: str | None = None
    ) -> Lease:
        self.fail("acquire")
        return await self.inner.acquire(run_id, owner, ttl, now, take_from=take_from)

    async def renew(self, lease: Lease, ttl: float, now: float) -> Lease:
        self.fail("renew")
        return await self.inner.renew(lease, ttl, now)

    async def release(self, run_id: str, owner: str) -> None:
        await self.inner.release(run_id, owner)

    async def leases(self, run_ids: Sequence[str]) -> Mapping[str, Lease]:
        return await self.inner.leases(run_ids)


@pytest.fixture(params=["memory", "sqlite"])
async def inner(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """The in-memory store and an SQLite file."""
    store: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "r.db")
    await store.open()
    yield store
    await store.close()


def _chain(calls: Counter[str], slow: float = 0.0) -> Graph[int]:
    """a -> b -> c, and a sibling ``s`` of ``b`` that ``c`` also needs (slow the first time)."""

    async def a(x: int) -> int:
        calls["a"] += 1
        return x + 1

    async def b(x: int) -> int:
        calls["b"] += 1
        return x * 10

    async def s(x: int) -> int:
        calls["s"] += 1
        if calls["s"] == 1:
            await anyio.sleep(slow)
        return x

    async def c(x: int, y: int) -> int:
        calls["c"] += 1
        return x + y

    g = GraphBuilder("chain", inputs={"x": int})
    first = g.add(a, inputs={"x": "inputs.x"})
    second = g.add(b, inputs={"x": first})
    sibling = g.add(s, inputs={"x": first})
    return g.build(g.add(c, inputs={"x": second, "y": sibling}))


async def _status(store: Store, run_id: str) -> StoredStatus:
    stored = await store.load(run_id)
    assert stored is not None
    return stored.run.status


async def _outputs(store: Store, run_id: str) -> set[str]:
    stored = await store.load(run_id)
    assert stored is not None
    return set(stored.outputs)


@pytest.mark.parametrize(
    "error",
    [DISK_FULL, sqlite3.OperationalError("database or disk is full")],
    ids=["oserror", "sqlite"],
)
async def test_a_failed_commit_stops_the_run_with_one_store_error(
    inner: Store, error: Exception
) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls, slow=5.0)
    store = FaultyStore(inner, error)
    store.broken, store.nodes = {"put_outputs"}, {"b"}

    with anyio.fail_after(3), pytest.raises(StoreError) as raised:  # not an ExceptionGroup
        await graph.run({"x": 1}, options=RunOptions(store=store, run_id="r1"))

    message = str(raised.value)
    assert message.startswith("run r1 stopped: the store could not commit the output of node `b`")
    assert str(error) in message
    assert "it is recorded failed; resume it once the store works again" in message
    assert await _status(inner, "r1") is StoredStatus.FAILED  # never `cancelled`
    assert await _outputs(inner, "r1") == {"a"}
    assert calls == Counter(a=1, b=1, s=1)  # the slow sibling was cancelled

    store.broken.clear()
    done = await resume(graph, "r1", store=store)

    assert done.status is RunStatus.SUCCEEDED
    assert done.output == 22
    assert calls == Counter(a=1, b=2, s=2, c=1)  # `a` was committed: it never reruns


def test_run_sync_raises_the_store_error_itself(anyio_backend: str) -> None:
    store = FaultyStore(MemoryStore())
    store.broken = {"put_outputs"}
    anyio.run(store.open, backend=anyio_backend)
    options = RunOptions(store=store)

    with pytest.raises(StoreError, match="No space left on device"):
        run_sync(_chain(Counter()), {"x": 1}, options=options, backend=anyio_backend)


async def test_a_failed_failure_record_stops_the_run(inner: Store) -> None:
    attempts: list[int] = []

    async def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) == 1:
            raise ConnectionError("try again")
        return x

    g = GraphBuilder("flaky", inputs={"x": int})
    retry = RetryPolicy(max_attempts=2, initial_delay=0)
    graph = g.build(g.add(flaky, inputs={"x": "inputs.x"}, retry=retry))
    store = FaultyStore(inner)
    store.broken = {"put_failure"}

    with pytest.raises(StoreError, match="record the failure of node `flaky`"):
        await graph.run({"x": 4}, options=RunOptions(store=store, run_id="r2"))

    assert await _status(inner, "r2") is StoredStatus.FAILED
    store.broken.clear()
    assert (await resume(graph, "r2", store=store)).output == 4


async def test_a_failed_question_stops_the_run(inner: Store) -> None:
    g = GraphBuilder("asking", inputs={"x": int})
    graph = g.build(g.ask("approve", question="ok?", answer=bool, inputs={"x": "inputs.x"}))
    store = FaultyStore(inner)
    store.broken = {"put_interrupt"}

    with pytest.raises(StoreError, match="record the question of `approve`"):
        await graph.run({"x": 1}, options=RunOptions(store=store, run_id="r3"))

    assert await _status(inner, "r3") is StoredStatus.FAILED
    store.broken.clear()
    assert (await resume(graph, "r3", store=store)).status is RunStatus.WAITING


async def test_a_lost_lease_stops_the_run(inner: Store) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls, slow=5.0)
    store = FaultyStore(inner)
    store.broken = {"renew"}  # the run takes its lease, then cannot renew

    with anyio.fail_after(3), pytest.raises(StoreError, match="renew the lease of run r4"):
        await graph.run({"x": 1}, options=RunOptions(store=store, run_id="r4", lease=0.06))

    assert await _status(inner, "r4") is StoredStatus.FAILED
    assert calls["c"] == 0


@pytest.mark.parametrize("durability", ["async", "exit"])
async def test_a_failed_batch_commit_stops_the_run(inner: Store, durability: str) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls)
    store = FaultyStore(inner)
    store.broken = {"put_outputs"}
    options = RunOptions(store=store, run_id="r5", durability=durability)  # type: ignore[arg-type]

    with pytest.raises(StoreError, match="No space left on device"):
        await graph.run({"x": 1}, options=options)

    assert await _status(inner, "r5") is StoredStatus.FAILED
    store.broken.clear()
    assert (await resume(graph, "r5", store=store)).output == 22


async def test_a_failed_end_state_write_records_the_run_failed(inner: Store) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls)
    store = FaultyStore(inner)
    store.broken = {"put_run:succeeded"}  # the run was recorded; its end cannot be

    with pytest.raises(StoreError) as raised:
        await graph.run({"x": 1}, options=RunOptions(store=store, run_id="r8"))

    assert str(raised.value).startswith("run r8 stopped: the store could not record the end")
    assert "it is recorded failed; resume it once the store works again" in str(raised.value)
    assert await _status(inner, "r8") is StoredStatus.FAILED
    assert await _outputs(inner, "r8") == {"a", "b", "s", "c"}
    store.broken.clear()
    assert (await resume(graph, "r8", store=store)).output == 22
    assert calls == Counter(a=1, b=1, s=1, c=1)  # everything was committed: nothing reruns


async def test_a_store_that_cannot_record_the_end_either_leaves_the_run_running(
    inner: Store,
) -> None:
    calls: Counter[str] = Counter()
    graph = _chain(calls)
    store = FaultyStore(inner)
    store.broken, store.nodes = {"put_outputs", "put_run:failed"}, {"b"}

    with pytest.raises(StoreError) as raised:
        await graph.run({"x": 1}, options=RunOptions(store=store, run_id="r9"))

    assert "could not commit the output of node `b`" in str(raised.value)
    assert "the store could not record that either" in str(raised.value)
    assert await _status(inner, "r9") is StoredStatus.RUNNING  # as after a crash
    store.broken.clear()
    later = RunOptions(wall=lambda: time.time() + 60)  # once the dead run's lease expired
    assert (await resume(graph, "r9", store=store, options=later)).output == 22
    assert calls["a"] == 1


async def test_a_store_that_cannot_record_the_failure_leaves_the_run_resumable(
    tmp_path: Path,
) -> None:
    """A real SQLite write error: another connection holds the write lock past the timeout."""
    path = tmp_path / "locked.db"
    store = SQLiteStore(path, busy_timeout=0.05)
    await store.open()
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    calls: Counter[str] = Counter()

    async def a(x: int) -> int:
        calls["a"] += 1
        return x + 1

    async def b(x: int) -> int:
        calls["b"] += 1
        if calls["b"] == 1:
            blocker.execute("BEGIN IMMEDIATE")  # every write of the store now fails
        return x * 10

    g = GraphBuilder("locked", inputs={"x": int})
    graph = g.build(g.add(b, inputs={"x": g.add(a, inputs={"x": "inputs.x"})}))
    try:
        with pytest.raises(StoreError) as raised:
            await graph.run({"x": 1}, options=RunOptions(store=store, run_id="r6"))
        assert "database is locked" in str(raised.value)
        assert "the store could not record that either" in str(raised.value)
        assert isinstance(raised.value.__cause__, StoreError)
        assert isinstance(raised.value.__cause__.__cause__, sqlite3.OperationalError)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert await _status(store, "r6") is StoredStatus.RUNNING  # as after a crash

    later = RunOptions(wall=lambda: time.time() + 60)  # once the dead run's lease expired
    done = await resume(graph, "r6", store=store, options=later)
    await store.close()

    assert done.output == 20
    assert calls == Counter(a=1, b=2)


async def test_a_broken_listener_with_a_store_is_recorded_failed(inner: Store) -> None:
    def broken(event: object) -> None:
        raise KeyError("the display broke")

    with pytest.raises(KeyError, match="the display broke"):  # the error itself, ungrouped
        await _chain(Counter()).run(
            {"x": 1}, options=RunOptions(store=inner, run_id="r7"), listeners=(broken,)
        )

    assert await _status(inner, "r7") is StoredStatus.FAILED


async def _double(x: int) -> int:
    return x * 2


def _cli_graph() -> Graph[int]:
    g = GraphBuilder("cli_faults", inputs={"x": int})
    first = g.add(_double, id="first", inputs={"x": "inputs.x"})
    return g.build(g.add(_double, id="second", inputs={"x": first}))


CLI_GRAPH = _cli_graph()


def test_the_cli_says_it_in_one_line_exits_1_and_resumes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    target = "tests.engine.test_store_faults:CLI_GRAPH"
    real = sqlite_queries.put_outputs

    def disk_full(
        connection: sqlite3.Connection,
        records: Sequence[OutputRecord],
        lease: Lease | None,
        sealer: Sealer,
        *,
        now: bool = False,
    ) -> None:  # the write itself fails, whether made on the loop or in the thread
        if any(record.node == "second" for record in records):
            raise DISK_FULL
        real(connection, records, lease, sealer, now=now)

    monkeypatch.setattr(sqlite_queries, "put_outputs", disk_full)
    code = main(["run", target, "--input", '{"x": 3}'])

    assert code == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1
    assert errors[0].startswith("plait: error: run ")
    assert "could not commit the output of node `second`" in errors[0]
    assert "No space left on device" in errors[0]
    run_id = errors[0].split()[3]

    monkeypatch.setattr(sqlite_queries, "put_outputs", real)
    assert main(["runs"]) == 0
    assert f"{run_id}" in capsys.readouterr().out
    assert main(["resume", run_id, "--graph", target]) == 0
    assert capsys.readouterr().out.strip() == "12"
