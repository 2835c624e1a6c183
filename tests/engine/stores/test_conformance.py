"""The store protocol, held to one behaviour by every store: memory, SQLite, PostgreSQL."""

from __future__ import annotations

import hashlib

import anyio
import pytest

from plait.engine.stores._protocol import (
    SCHEMA_VERSION,
    CorruptRecordError,
    FailureRecord,
    InterruptRecord,
    OutputRecord,
    RunLockedError,
    RunRecord,
    Store,
    StoredStatus,
    StoreError,
)

from .harness import AnyStore, Harness

pytestmark = pytest.mark.anyio

BINARY = bytes(range(256))
"""Every byte value, so no store can get away with text columns."""


def run(run_id: str = "r1", created_at: float = 100.0, **changes: object) -> RunRecord:
    fields: dict[str, object] = {
        "run_id": run_id,
        "graph": "digest",
        "content_hash": "c0ffee",
        "canonical": '{"nodes": ["a", "b"]}',
        "inputs": b'{"topic": "graphs"}',
        "status": StoredStatus.RUNNING,
        "created_at": created_at,
        "updated_at": created_at,
    }
    fields.update(changes)
    return RunRecord(**fields)  # type: ignore[arg-type]


def output(run_id: str, node: str, data: bytes, at: float = 1.0, attempt: int = 1) -> OutputRecord:
    return OutputRecord(run_id, node, attempt, data, hashlib.sha256(data).hexdigest(), at)


async def test_a_store_satisfies_the_protocol(store: AnyStore) -> None:
    assert isinstance(store, Store)


async def test_a_run_round_trips_every_field(store: AnyStore) -> None:
    record = run(inputs=BINARY, parent_run="r0", created_at=1763841234.1234567, updated_at=6.25)
    await store.create_run(record)
    assert await store.get_run("r1") == record


async def test_an_unknown_run_is_none(store: AnyStore) -> None:
    assert await store.get_run("nope") is None
    assert await store.outputs("nope") == {}
    assert list(await store.failures("nope")) == []
    assert list(await store.interrupts("nope")) == []


async def test_a_run_id_is_used_once(store: AnyStore) -> None:
    await store.create_run(run(graph="first"))
    with pytest.raises(StoreError, match="run r1 already exists"):
        await store.create_run(run(graph="second"))
    stored = await store.get_run("r1")
    assert stored is not None
    assert stored.graph == "first"


async def test_set_status_records_status_time_and_error(store: AnyStore) -> None:
    await store.create_run(run())
    await store.set_status("r1", StoredStatus.FAILED, 200.0, "`b` raised ValueError")
    failed = await store.get_run("r1")
    assert failed == run(
        status=StoredStatus.FAILED, updated_at=200.0, error="`b` raised ValueError"
    )
    await store.set_status("r1", StoredStatus.SUCCEEDED, 300.0)
    done = await store.get_run("r1")
    assert done == run(status=StoredStatus.SUCCEEDED, updated_at=300.0)


async def test_set_status_of_an_unknown_run_is_refused(store: AnyStore) -> None:
    with pytest.raises(StoreError, match="no run ghost"):
        await store.set_status("ghost", StoredStatus.FAILED, 1.0)


async def test_list_runs_is_newest_first_with_ties_in_creation_order(store: AnyStore) -> None:
    for run_id, created in [("old", 1.0), ("new", 3.0), ("tie-a", 2.0), ("tie-b", 2.0)]:
        await store.create_run(run(run_id, created_at=created))
    listed = [record.run_id for record in await store.list_runs()]
    assert listed == ["new", "tie-b", "tie-a", "old"]
    assert [record.run_id for record in await store.list_runs(limit=2)] == ["new", "tie-b"]
    assert list(await store.list_runs(limit=0)) == []
    await store.set_status("old", StoredStatus.FAILED, 9.0)  # updating does not reorder
    assert [record.run_id for record in await store.list_runs(limit=1)] == ["new"]


async def test_an_output_round_trips_with_its_checksum(store: AnyStore) -> None:
    await store.create_run(run())
    await store.put_output("r1", "outer/inner/a", 2, BINARY, 7.5)
    await store.put_output("r1", "empty", 1, b"", 8.0)
    stored = await store.outputs("r1")
    assert stored == {
        "outer/inner/a": output("r1", "outer/inner/a", BINARY, at=7.5, attempt=2),
        "empty": output("r1", "empty", b"", at=8.0),
    }
    assert list(stored) == ["outer/inner/a", "empty"]  # in commit order


async def test_a_large_output_round_trips(store: AnyStore) -> None:
    await store.create_run(run())
    data = BINARY * 4096  # 1 MiB
    await store.put_output("r1", "big", 1, data, 1.0)
    assert (await store.outputs("r1"))["big"].data == data


async def test_putting_an_output_again_replaces_it(store: AnyStore) -> None:
    await store.create_run(run())
    await store.put_output("r1", "a", 1, b"first", 1.0)
    await store.put_output("r1", "a", 2, b"second", 2.0)
    assert await store.outputs("r1") == {"a": output("r1", "a", b"second", at=2.0, attempt=2)}


async def test_outputs_belong_to_their_run(store: AnyStore) -> None:
    await store.create_run(run("r1"))
    await store.create_run(run("r2", created_at=101.0))
    await store.put_output("r1", "a", 1, b"one", 1.0)
    await store.put_output("r2", "a", 1, b"two", 1.0)
    assert (await store.outputs("r1"))["a"].data == b"one"
    assert (await store.outputs("r2"))["a"].data == b"two"


async def test_an_output_of_an_unknown_run_is_refused(store: AnyStore) -> None:
    with pytest.raises(StoreError, match="no run ghost"):
        await store.put_output("ghost", "a", 1, b"x", 1.0)


async def test_put_outputs_commits_a_batch_and_the_last_of_a_node_wins(store: AnyStore) -> None:
    await store.create_run(run("r1"))
    await store.create_run(run("r2", created_at=101.0))
    await store.put_outputs(
        [
            output("r1", "a", b"a1", at=1.0),
            output("r2", "a", b"other run", at=1.5),
            output("r1", "b", b"b1", at=2.0),
            output("r1", "a", b"a2", at=3.0, attempt=2),
        ]
    )
    assert await store.outputs("r1") == {
        "b": output("r1", "b", b"b1", at=2.0),
        "a": output("r1", "a", b"a2", at=3.0, attempt=2),
    }
    assert (await store.outputs("r2"))["a"].data == b"other run"
    await store.put_outputs([])
    assert len(await store.outputs("r1")) == 2


async def test_put_outputs_writes_nothing_when_one_run_is_missing(store: AnyStore) -> None:
    await store.create_run(run())
    await store.put_output("r1", "a", 1, b"before", 1.0)
    batch = [output("r1", "a", b"after", at=2.0), output("r1", "b", b"new", at=2.0)]
    with pytest.raises(StoreError, match="no run ghost"):
        await store.put_outputs([*batch, output("ghost", "c", b"lost", at=2.0)])
    assert await store.outputs("r1") == {"a": output("r1", "a", b"before", at=1.0)}


async def test_put_outputs_refuses_a_checksum_that_does_not_match(store: AnyStore) -> None:
    await store.create_run(run())
    wrong = OutputRecord("r1", "b", 1, b"data", hashlib.sha256(b"other").hexdigest(), 1.0)
    with pytest.raises(CorruptRecordError) as raised:
        await store.put_outputs([output("r1", "a", b"fine"), wrong])
    assert (raised.value.run_id, raised.value.node) == ("r1", "b")
    assert await store.outputs("r1") == {}


async def test_corrupted_bytes_are_an_error_naming_run_and_node(
    store: AnyStore, harness: Harness
) -> None:
    await store.create_run(run("run-7"))
    data = b"the summary of node b, unique in the whole database " + BINARY
    await store.put_output("run-7", "a", 1, b"fine", 1.0)
    await store.put_output("run-7", "outer/b", 1, data, 2.0)
    await harness.corrupt(store, "run-7", "outer/b", data)
    with pytest.raises(CorruptRecordError) as raised:
        await store.outputs("run-7")
    assert (raised.value.run_id, raised.value.node) == ("run-7", "outer/b")
    assert "run run-7" in str(raised.value)
    assert "`outer/b`" in str(raised.value)
    assert "sha256" in str(raised.value)


async def test_failures_come_back_oldest_first(store: AnyStore) -> None:
    await store.create_run(run("r1"))
    await store.create_run(run("r2", created_at=101.0))
    later = FailureRecord("r1", "a", 2, "TimeoutError", "attempt 2 timed out", 5.0)
    first = FailureRecord("r1", "a", 1, "ValueError", "bad value: ünïcode", 3.0)
    tie = FailureRecord("r1", "b", 1, "KeyError", "'k'", 5.0)
    for record in (later, first, tie, FailureRecord("r2", "a", 1, "E", "other run", 1.0)):
        await store.put_failure(record)
    assert list(await store.failures("r1")) == [first, later, tie]
    with pytest.raises(StoreError, match="no run ghost"):
        await store.put_failure(FailureRecord("ghost", "a", 1, "E", "m", 1.0))


async def test_an_answer_updates_its_question_in_place(store: AnyStore) -> None:
    await store.create_run(run())
    approve = InterruptRecord(
        "r1", "approve", "answer", "Ship it?", '{"type": "boolean"}', None, 2.0
    )
    name = InterruptRecord("r1", "name", "answer", "Name?", '{"type": "string"}', None, 3.0)
    await store.put_interrupt(approve)
    await store.put_interrupt(name)
    assert list(await store.interrupts("r1")) == [approve, name]
    answered = InterruptRecord(
        "r1", "approve", "answer", "Ship it?", '{"type": "boolean"}', b"true", 9.0
    )
    await store.put_interrupt(answered)
    assert list(await store.interrupts("r1")) == [
        InterruptRecord("r1", "approve", "answer", "Ship it?", '{"type": "boolean"}', b"true", 2.0),
        name,
    ]
    again = InterruptRecord("r1", "approve", "again", "Sure?", "{}", BINARY, 4.0)
    await store.put_interrupt(again)
    assert [(item.node, item.key) for item in await store.interrupts("r1")] == [
        ("approve", "answer"),
        ("name", "answer"),
        ("approve", "again"),
    ]
    with pytest.raises(StoreError, match="no run ghost"):
        await store.put_interrupt(InterruptRecord("ghost", "n", "k", "q", "{}", None, 1.0))


async def test_a_lease_keeps_other_owners_out_until_it_expires(store: AnyStore) -> None:
    await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    with pytest.raises(RunLockedError) as raised:
        await store.acquire("r1", "bob", ttl=30.0, now=1010.0)
    assert (raised.value.run_id, raised.value.owner) == ("r1", "alice")
    assert "locked by alice" in str(raised.value)
    assert "expires in 20 s" in str(raised.value)
    await store.acquire("r2", "bob", ttl=30.0, now=1010.0)  # leases are per run
    await store.acquire("r1", "bob", ttl=30.0, now=1030.0)  # alice's expired at 1030
    with pytest.raises(RunLockedError, match="locked by bob"):
        await store.acquire("r1", "alice", ttl=30.0, now=1031.0)


async def test_the_holder_renews_its_lease(store: AnyStore) -> None:
    await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    await store.acquire("r1", "alice", ttl=30.0, now=1020.0)  # now held until 1050
    with pytest.raises(RunLockedError, match="expires in 10 s"):
        await store.acquire("r1", "bob", ttl=30.0, now=1040.0)
    await store.acquire("r1", "bob", ttl=30.0, now=1050.0)


async def test_release_lets_the_next_owner_in_and_ignores_non_holders(store: AnyStore) -> None:
    await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    await store.release("r1", "bob")  # not the holder: nothing happens
    with pytest.raises(RunLockedError):
        await store.acquire("r1", "bob", ttl=30.0, now=1001.0)
    await store.release("r1", "alice")
    await store.release("r1", "alice")  # twice is fine
    await store.acquire("r1", "bob", ttl=30.0, now=1002.0)
    await store.release("never-leased", "bob")


async def test_of_many_concurrent_acquirers_exactly_one_wins(store: AnyStore) -> None:
    winners: list[str] = []
    losers: list[str] = []

    async def try_to_take(owner: str) -> None:
        try:
            await store.acquire("r1", owner, ttl=60.0, now=1000.0)
        except RunLockedError:
            losers.append(owner)
        else:
            winners.append(owner)

    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            for index in range(12):
                group.start_soon(try_to_take, f"owner-{index}")
    assert len(winners) == 1
    assert len(losers) == 11


async def test_concurrent_puts_all_land(store: AnyStore) -> None:
    await store.create_run(run())

    async def put(index: int) -> None:
        await store.put_output("r1", f"n{index}", 1, f"value {index}".encode(), float(index))
        await store.put_output("r1", "shared", 1, f"value {index}".encode(), 100.0 + index)
        await store.put_outputs([output("r1", f"batch{index}", b"b", at=200.0 + index)])

    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            for index in range(40):
                group.start_soon(put, index)
    stored = await store.outputs("r1")
    assert len(stored) == 40 + 1 + 40
    assert all(stored[f"n{index}"].data == f"value {index}".encode() for index in range(40))
    assert stored["shared"].data.startswith(b"value ")


async def test_concurrent_batches_over_the_same_nodes_all_commit(store: AnyStore) -> None:
    await store.create_run(run())
    nodes = [f"n{index}" for index in range(20)]

    async def put_batch(index: int) -> None:
        order = nodes if index % 2 else nodes[::-1]  # opposite orders: no deadlock
        await store.put_outputs([output("r1", node, f"{index}".encode()) for node in order])

    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            for index in range(10):
                group.start_soon(put_batch, index)
    stored = await store.outputs("r1")
    assert sorted(stored) == sorted(nodes)
    assert len({record.data for record in stored.values()}) == 1  # one batch won, whole


async def test_close_and_open_again(store: AnyStore) -> None:
    await store.create_run(run())
    await store.put_output("r1", "a", 1, b"kept", 1.0)
    await store.close()
    await store.close()  # closing twice is fine
    await store.open()
    await store.open()  # opening an open store is fine
    assert (await store.outputs("r1"))["a"].data == b"kept"


@pytest.mark.stores("sqlite", "postgres")
async def test_everything_survives_a_new_store_on_the_same_database(
    store: AnyStore, harness: Harness
) -> None:
    await store.create_run(run(error="boom", parent_run="r0"))
    await store.set_status("r1", StoredStatus.WAITING, 150.0)
    await store.put_output("r1", "a", 3, BINARY, 2.0)
    failure = FailureRecord("r1", "a", 1, "ValueError", "bad", 1.5)
    await store.put_failure(failure)
    question = InterruptRecord("r1", "ask", "answer", "Ok?", "{}", b"true", 3.0)
    await store.put_interrupt(question)
    await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    await store.close()
    again = harness.make()
    async with again:
        assert await again.get_run("r1") == run(
            status=StoredStatus.WAITING, updated_at=150.0, error=None, parent_run="r0"
        )
        assert await again.outputs("r1") == {"a": output("r1", "a", BINARY, at=2.0, attempt=3)}
        assert list(await again.failures("r1")) == [failure]
        assert list(await again.interrupts("r1")) == [question]
        with pytest.raises(RunLockedError, match="locked by alice"):
            await again.acquire("r1", "bob", ttl=30.0, now=1001.0)


@pytest.mark.stores("sqlite", "postgres")
async def test_two_stores_on_one_database_share_runs_and_leases(
    store: AnyStore, harness: Harness
) -> None:
    other = harness.make()
    await other.open()
    try:
        await store.create_run(run())
        await other.put_output("r1", "a", 1, b"from the other", 1.0)
        assert (await store.outputs("r1"))["a"].data == b"from the other"
        winners: list[AnyStore] = []

        async def take(candidate: AnyStore, owner: str) -> None:
            try:
                await candidate.acquire("r1", owner, ttl=60.0, now=1000.0)
            except RunLockedError:
                return
            winners.append(candidate)

        async with anyio.create_task_group() as group:
            for index in range(6):
                group.start_soon(take, store if index % 2 else other, f"owner-{index}")
        assert len(winners) == 1
    finally:
        await other.close()


@pytest.mark.stores("sqlite", "postgres")
async def test_a_newer_schema_is_refused(store: AnyStore, harness: Harness) -> None:
    await store.close()
    harness.set_schema_version(SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}, newer") as raised:
        await harness.make().open()
    assert "upgrade plait" in str(raised.value)
    with pytest.raises(StoreError, match="newer"):
        await harness.make().migrate()


@pytest.mark.stores("sqlite", "postgres")
async def test_an_older_schema_needs_an_explicit_migration(
    store: AnyStore, harness: Harness
) -> None:
    await store.close()
    harness.set_schema_version(0)
    with pytest.raises(StoreError, match=r"older .* run `await store.migrate\(\)`"):
        await harness.make().open()
    with pytest.raises(StoreError, match="no migration leads from version 0 to 1"):
        await harness.make().migrate()
    harness.set_schema_version(SCHEMA_VERSION)
    assert await harness.make().migrate() == SCHEMA_VERSION


@pytest.mark.stores("sqlite", "postgres")
async def test_migrate_creates_the_schema_of_a_new_database(harness: Harness) -> None:
    fresh = harness.make()
    assert await fresh.migrate() == SCHEMA_VERSION
    async with fresh:
        await fresh.create_run(run())
        assert await fresh.migrate() == SCHEMA_VERSION


@pytest.mark.stores("sqlite", "postgres")
async def test_an_unopened_store_says_so(harness: Harness) -> None:
    with pytest.raises(StoreError, match="not open"):
        await harness.make().get_run("r1")
