"""Leases and a store's life (open, close, reopen, schema versions), alike in every store."""

from __future__ import annotations

import anyio
import pytest

from plait.engine.stores._protocol import (
    SCHEMA_VERSION,
    FailureRecord,
    InterruptRecord,
    OutputRecord,
    RunLockedError,
    StoredStatus,
    StoreError,
)

from .harness import AnyStore, Harness
from .test_conformance import BINARY, loaded, output, run

pytestmark = pytest.mark.anyio


async def test_a_lease_keeps_other_owners_out_until_it_expires(store: AnyStore) -> None:
    await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    with pytest.raises(RunLockedError) as raised:
        await store.acquire("r1", "bob", ttl=30.0, now=1010.0)
    assert (raised.value.run_id, raised.value.owner) == ("r1", "alice")
    assert "held by alice" in str(raised.value)
    assert "expires in 20 s" in str(raised.value)
    await store.acquire("r2", "bob", ttl=30.0, now=1010.0)  # leases are per run
    await store.acquire("r1", "bob", ttl=30.0, now=1030.0)  # alice's expired at 1030
    with pytest.raises(RunLockedError, match="held by bob"):
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


async def test_close_and_open_again(store: AnyStore) -> None:
    await store.put_run(run())
    await store.put_outputs([OutputRecord.of("r1", "a", 1, b"kept", 1.0)])
    await store.close()
    await store.close()  # closing twice is fine
    await store.open()
    await store.open()  # opening an open store is fine
    assert ((await loaded(store, "r1")).outputs)["a"].data == b"kept"


@pytest.mark.stores("sqlite", "postgres", "redis")
async def test_everything_survives_a_new_store_on_the_same_database(
    store: AnyStore, harness: Harness
) -> None:
    await store.put_run(run(error="boom", parent_run="r0"))
    await store.put_run(run(status=StoredStatus.WAITING, updated_at=150.0, parent_run="r0"))
    await store.put_outputs([OutputRecord.of("r1", "a", 3, BINARY, 2.0)])
    failure = FailureRecord("r1", "a", 1, "ValueError", "bad", 1.5)
    await store.put_failure(failure)
    question = InterruptRecord("r1", "ask", "answer", "Ok?", "{}", b"true", 3.0)
    await store.put_interrupt(question)
    await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    await store.close()
    again = harness.make()
    async with again:
        assert (await loaded(again, "r1")).run == run(
            status=StoredStatus.WAITING, updated_at=150.0, error=None, parent_run="r0"
        )
        assert (await loaded(again, "r1")).outputs == {
            "a": output("r1", "a", BINARY, at=2.0, attempt=3)
        }
        assert list((await loaded(again, "r1")).failures) == [failure]
        assert list((await loaded(again, "r1")).interrupts) == [question]
        with pytest.raises(RunLockedError, match="held by alice"):
            await again.acquire("r1", "bob", ttl=30.0, now=1001.0)


@pytest.mark.stores("sqlite", "postgres", "redis")
async def test_two_stores_on_one_database_share_runs_and_leases(
    store: AnyStore, harness: Harness
) -> None:
    other = harness.make()
    await other.open()
    try:
        await store.put_run(run())
        await other.put_outputs([OutputRecord.of("r1", "a", 1, b"from the other", 1.0)])
        assert ((await loaded(store, "r1")).outputs)["a"].data == b"from the other"
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


@pytest.mark.stores("sqlite", "postgres", "redis")
async def test_a_newer_schema_is_refused(store: AnyStore, harness: Harness) -> None:
    await store.close()
    harness.set_schema_version(SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}, newer") as raised:
        await harness.make().open()
    assert "upgrade plait" in str(raised.value)
    with pytest.raises(StoreError, match="newer"):
        await harness.make().migrate()


@pytest.mark.stores("sqlite", "postgres", "redis")
async def test_an_older_schema_needs_an_explicit_migration(
    store: AnyStore, harness: Harness
) -> None:
    await store.close()
    harness.set_schema_version(0)
    with pytest.raises(
        StoreError, match=r"older .* run `plait migrate` .*`await store.migrate\(\)`"
    ):
        await harness.make().open()
    with pytest.raises(StoreError, match="no migration leads from version 0 to 1"):
        await harness.make().migrate()
    harness.set_schema_version(SCHEMA_VERSION)
    assert await harness.make().migrate() == SCHEMA_VERSION


@pytest.mark.stores("sqlite", "postgres", "redis")
async def test_migrate_creates_the_schema_of_a_new_database(harness: Harness) -> None:
    fresh = harness.make()
    assert await fresh.migrate() == SCHEMA_VERSION
    async with fresh:
        await fresh.put_run(run())
        assert await fresh.migrate() == SCHEMA_VERSION


@pytest.mark.stores("sqlite", "postgres", "redis")
async def test_an_unopened_store_says_so(harness: Harness) -> None:
    with pytest.raises(StoreError, match="not open"):
        await harness.make().load("r1")
