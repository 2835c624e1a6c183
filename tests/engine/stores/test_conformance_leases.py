"""Lease fencing in every store: tokens, takeovers, and writes refused from a lost lease."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

import anyio
import pytest

from plait.engine.stores._protocol import (
    SCHEMA_VERSION,
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    Lease,
    LeaseLostError,
    RunLockedError,
    StoredStatus,
    StoreError,
    ThreadRecord,
)
from plait.nodes import JournalEntry

from .harness import AnyStore, Harness, SQLiteHarness
from .test_conformance import loaded, output, run

pytestmark = pytest.mark.anyio

Write = Callable[[AnyStore, Lease], Awaitable[None]]


def _entry() -> JournalEntry:
    request, response = b'{"q": 1}', b'{"a": 2}'
    return JournalEntry("agent", 0, "llm", hashlib.sha256(request).hexdigest(), request, response)


async def _put_run(store: AnyStore, lease: Lease) -> None:
    await store.put_run(run(status=StoredStatus.SUCCEEDED, updated_at=200.0), lease=lease)


async def _put_outputs(store: AnyStore, lease: Lease) -> None:
    await store.put_outputs([output("r1", "a", b"1")], lease=lease)


async def _put_failure(store: AnyStore, lease: Lease) -> None:
    await store.put_failure(FailureRecord("r1", "a", 1, "ValueError", "no", 2.0), lease=lease)


async def _put_interrupt(store: AnyStore, lease: Lease) -> None:
    record = InterruptRecord("r1", "ask", "answer", "ok?", "{}", None, 2.0)
    await store.put_interrupt(record, lease=lease)


async def _put_journal(store: AnyStore, lease: Lease) -> None:
    await store.put_journal("r1", [JournalRecord.of("r1", _entry(), 2.0)], lease=lease)


async def _put_thread(store: AnyStore, lease: Lease) -> None:
    turn = ThreadRecord.of("t1", "r1", "chat", 0, b"[]", 2.0)
    await store.put_thread(turn, lease=lease)


WRITES: dict[str, Write] = {
    "put_run": _put_run,
    "put_outputs": _put_outputs,
    "put_failure": _put_failure,
    "put_interrupt": _put_interrupt,
    "put_journal": _put_journal,
    "put_thread": _put_thread,
}


async def _footprint(store: AnyStore) -> tuple[object, ...]:
    found = await loaded(store, "r1")
    turns = await store.load_thread("t1")
    return (found.run.status, dict(found.outputs), found.failures, found.interrupts,
            found.journal, turns)  # fmt: skip


async def test_tokens_grow_when_the_lease_changes_hands_never_on_a_renewal(
    store: AnyStore,
) -> None:
    first = await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    assert (first.run_id, first.owner, first.expires_at) == ("r1", "alice", 1030.0)
    again = await store.acquire("r1", "alice", ttl=30.0, now=1010.0)
    renewed = await store.renew(again, ttl=30.0, now=1020.0)
    assert again.token == renewed.token == first.token
    assert renewed.expires_at == 1050.0
    taken = await store.acquire("r1", "bob", ttl=30.0, now=1050.0)
    assert taken.token == first.token + 1
    await store.release("r1", "bob")
    assert (await store.acquire("r1", "bob", ttl=30.0, now=1051.0)).token == first.token + 2
    assert (await store.acquire("r2", "bob", ttl=30.0, now=1051.0)).token >= 1


@pytest.mark.parametrize("write", list(WRITES))
async def test_every_write_with_the_held_lease_lands(store: AnyStore, write: str) -> None:
    await store.put_run(run())
    before = await _footprint(store)
    lease = await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    await WRITES[write](store, lease)
    assert await _footprint(store) != before


@pytest.mark.parametrize("write", list(WRITES))
async def test_a_write_from_a_lease_taken_over_is_refused_and_writes_nothing(
    store: AnyStore, write: str
) -> None:
    await store.put_run(run())
    stale = await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    await store.acquire("r1", "bob", ttl=30.0, now=1031.0)  # alice's expired at 1030
    before = await _footprint(store)
    with pytest.raises(LeaseLostError) as raised:
        await WRITES[write](store, stale)
    assert (raised.value.run_id, raised.value.owner) == ("r1", "bob")
    assert isinstance(raised.value, StoreError)
    assert "run r1" in str(raised.value)
    assert "taken over by bob" in str(raised.value)
    assert await _footprint(store) == before


@pytest.mark.parametrize("write", list(WRITES))
async def test_a_write_from_a_released_lease_is_refused(store: AnyStore, write: str) -> None:
    await store.put_run(run())
    lease = await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    await store.release("r1", "alice")
    with pytest.raises(LeaseLostError, match="given up") as raised:
        await WRITES[write](store, lease)
    assert raised.value.owner is None


async def test_a_fenced_batch_may_not_touch_another_run(store: AnyStore) -> None:
    await store.put_run(run())
    await store.put_run(run("r2"))
    lease = await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    with pytest.raises(StoreError, match="touches run"):
        await store.put_outputs([output("r1", "a", b"1"), output("r2", "a", b"2")], lease=lease)
    assert (await loaded(store, "r1")).outputs == {}


async def test_take_from_takes_an_unexpired_lease_only_from_that_holder(store: AnyStore) -> None:
    alice = await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    with pytest.raises(RunLockedError):
        await store.acquire("r1", "carol", ttl=30.0, now=1001.0, take_from="bob")
    bob = await store.acquire("r1", "bob", ttl=30.0, now=1001.0, take_from="alice")
    assert (bob.owner, bob.token) == ("bob", alice.token + 1)
    with pytest.raises(LeaseLostError, match="taken over by bob"):
        await store.renew(alice, ttl=30.0, now=1002.0)


async def test_a_lapsed_lease_nobody_took_renews_with_its_token(store: AnyStore) -> None:
    lease = await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    renewed = await store.renew(lease, ttl=30.0, now=1100.0)  # expired at 1030: still alice's
    assert (renewed.token, renewed.expires_at) == (lease.token, 1130.0)
    with pytest.raises(RunLockedError):
        await store.acquire("r1", "bob", ttl=30.0, now=1101.0)


async def test_a_renewal_after_release_does_not_take_the_lease_back(store: AnyStore) -> None:
    lease = await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    await store.release("r1", "alice")
    with pytest.raises(LeaseLostError, match="given up"):
        await store.renew(lease, ttl=30.0, now=1001.0)
    assert await store.leases(["r1"]) == {}


async def test_leases_lists_held_leases_expired_or_not(store: AnyStore) -> None:
    await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
    bob = await store.acquire("r2", "bob", ttl=30.0, now=1000.0)
    await store.acquire("r3", "carol", ttl=30.0, now=1000.0)
    await store.release("r3", "carol")
    held = await store.leases(["r1", "r2", "r3", "unknown"])
    assert set(held) == {"r1", "r2"}
    assert held["r2"] == bob
    assert held["r1"].expires_at == 1030.0


@pytest.mark.stores("sqlite", "postgres", "redis")
async def test_a_stale_writer_racing_a_takeover_commits_before_it_or_not_at_all(
    store: AnyStore, harness: Harness
) -> None:
    """Many fenced commits from one store while another takes the lease: every commit
    that landed landed before the takeover, so the taker's ``load`` sees it."""
    await store.put_run(run())
    stale = await store.acquire("r1", "alice", ttl=0.0, now=1000.0)
    taker = harness.make()
    await taker.open()
    landed: list[str] = []
    seen: dict[str, object] = {}
    try:

        async def write(node: str) -> None:
            try:
                await store.put_outputs([output("r1", node, b"1")], lease=stale)
            except LeaseLostError:
                return
            landed.append(node)

        async def take() -> None:
            await anyio.sleep(0.01)
            await taker.acquire("r1", "bob", ttl=30.0, now=1001.0)
            seen.update((await loaded(taker, "r1")).outputs)

        async with anyio.create_task_group() as group:
            for index in range(40):
                group.start_soon(write, f"n{index}")
            group.start_soon(take)
    finally:
        await taker.close()
    assert set(landed) <= set(seen)


@pytest.mark.stores("sqlite")
async def test_a_version_4_database_migrates_to_fenced_leases(
    store: AnyStore, harness: Harness
) -> None:
    import sqlite3

    from tests.fixtures.golden.old import old_store

    assert isinstance(harness, SQLiteHarness)
    await store.close()
    old_store(harness.path, 4)
    with sqlite3.connect(harness.path) as connection:
        connection.execute(
            "UPDATE plait_leases SET owner = 'alice', expires_at = 1030.0 "
            "WHERE run_id = 'golden-links'"
        )
    connection.close()
    with pytest.raises(StoreError, match="schema version 4, older"):
        await harness.make().open()

    assert await harness.make().migrate() == SCHEMA_VERSION == 6
    await store.open()
    held = await store.leases(["golden-links"])
    assert held["golden-links"].owner == "alice"  # the lease kept, with the first token
    taken = await store.acquire("golden-links", "bob", ttl=30.0, now=1031.0)
    assert taken.token == held["golden-links"].token + 1
    with pytest.raises(LeaseLostError):
        await store.put_outputs([output("golden-links", "a", b"1")], lease=held["golden-links"])
