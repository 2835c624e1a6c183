"""Conversation threads in every store: append order, shared by runs, idempotent, checked."""

from __future__ import annotations

import dataclasses

import pytest

from plait.engine.stores._protocol import CorruptRecordError, StoreError, ThreadRecord

from .harness import AnyStore, Harness
from .test_conformance import BINARY, run

pytestmark = pytest.mark.anyio


def turn(
    node: str,
    text: str,
    *,
    run_id: str = "r1",
    thread: str = "t1",
    after: int = 0,
    at: float = 1.0,
) -> ThreadRecord:
    messages = b'[{"role":"user","content":"' + text.encode() + b'"}]'
    return ThreadRecord.of(thread, run_id, node, after, messages, at)


async def texts(store: AnyStore, thread: str = "t1") -> list[tuple[str, str, int, bytes]]:
    return [
        (item.run_id, item.node, item.messages_after, item.messages)
        for item in await store.load_thread(thread)
    ]


async def test_turns_come_back_in_append_order_not_by_node_or_time(store: AnyStore) -> None:
    await store.put_run(run())
    await store.put_thread(turn("z", "first", at=9.0))
    await store.put_thread(turn("a", "second", after=1, at=1.0))
    binary = ThreadRecord.of("t1", "r1", "m[0]/agent", 2, BINARY, 5.0)
    await store.put_thread(binary)
    await store.put_thread(turn("b", "other thread", thread="t2"))

    found = await store.load_thread("t1")
    assert [(item.node, item.messages_after) for item in found] == [
        ("z", 0),
        ("a", 1),
        ("m[0]/agent", 2),
    ]
    assert found[0] == turn("z", "first", at=9.0)
    assert found[2].messages == BINARY
    assert [item.node for item in await store.load_thread("t2")] == ["b"]
    assert list(await store.load_thread("never-used")) == []


async def test_two_runs_share_a_thread_by_its_id(store: AnyStore) -> None:
    await store.put_run(run("r1"))
    await store.put_run(run("r2", created_at=200.0))
    await store.put_thread(turn("chat", "from run 1", run_id="r1"))
    await store.put_thread(turn("chat", "from run 2", run_id="r2", after=1))

    assert [(run_id, node) for run_id, node, _, _ in await texts(store)] == [
        ("r1", "chat"),
        ("r2", "chat"),
    ]


async def test_a_re_append_by_the_same_run_and_node_never_duplicates(store: AnyStore) -> None:
    await store.put_run(run("r1"))
    await store.put_run(run("r2", created_at=200.0))
    await store.put_thread(turn("chat", "once", at=1.0))
    await store.put_thread(turn("chat", "next run", run_id="r2", after=1, at=2.0))
    await store.put_thread(turn("chat", "once", at=3.0))  # a retry or a resume
    await store.put_thread(turn("chat", "again", at=4.0))  # a forced fresh start

    found = await store.load_thread("t1")
    assert [(item.run_id, item.messages) for item in found] == [
        ("r1", turn("chat", "again").messages),  # replaced in place: still first
        ("r2", turn("chat", "next run").messages),
    ]
    assert found[0].created_at == 1.0


async def test_a_turn_of_an_unknown_run_is_refused(store: AnyStore) -> None:
    with pytest.raises(StoreError, match="cannot append to thread `t1`: no run ghost"):
        await store.put_thread(turn("chat", "hello", run_id="ghost"))
    assert list(await store.load_thread("t1")) == []


async def test_a_turn_whose_checksum_does_not_match_is_refused(store: AnyStore) -> None:
    await store.put_run(run())
    forged = dataclasses.replace(turn("chat", "hello"), messages=b"[]")
    with pytest.raises(CorruptRecordError) as raised:
        await store.put_thread(forged)
    assert raised.value.run_id == "r1"
    assert "`chat` turn in thread `t1`" in str(raised.value)
    assert list(await store.load_thread("t1")) == []


async def test_a_corrupted_turn_is_an_error_naming_run_node_and_thread(
    store: AnyStore, harness: Harness
) -> None:
    await store.put_run(run("run-7"))
    record = turn("outer/chat", "a turn unique in the whole database", run_id="run-7")
    await store.put_thread(record)
    await harness.corrupt_turn(store, "t1", "run-7", "outer/chat", record.messages)

    with pytest.raises(CorruptRecordError) as raised:
        await store.load_thread("t1")
    assert raised.value.run_id == "run-7"
    assert "`outer/chat` turn in thread `t1`" in str(raised.value)
    assert "is corrupt" in str(raised.value)


@pytest.mark.stores("sqlite")
async def test_a_version_2_file_migrates_to_hold_threads(store: AnyStore, harness: Harness) -> None:

    from tests.fixtures.golden.old import old_store

    from .harness import SQLiteHarness

    assert isinstance(harness, SQLiteHarness)
    await store.close()
    old_store(harness.path, 2)
    with pytest.raises(StoreError, match="schema version 2, older"):
        await harness.make().open()

    assert await harness.make().migrate() == 6
    await store.open()
    await store.put_run(run())
    await store.put_thread(turn("chat", "after the migration"))
    assert [item.node for item in await store.load_thread("t1")] == ["chat"]
