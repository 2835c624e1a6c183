"""The effect journal in every store: round trip, replace, discard, checksums."""

from __future__ import annotations

import dataclasses

import pytest

from plait.engine.stores._protocol import CorruptRecordError, JournalRecord, StoreError
from plait.nodes import JournalEntry

from .harness import AnyStore, Harness
from .test_conformance import BINARY, loaded, run

pytestmark = pytest.mark.anyio


def call(
    node: str, index: int, response: bytes = b'{"text":"hi"}', run_id: str = "r1"
) -> JournalRecord:
    entry = JournalEntry(
        node,
        index,
        "tool" if index % 2 else "llm",
        f"hash-{index}",
        b'{"ask":' + str(index).encode() + b"}",
        response,
    )
    return JournalRecord.of(run_id, entry, float(index))


async def test_journaled_calls_round_trip_in_node_and_index_order(store: AnyStore) -> None:
    await store.put_run(run())
    await store.put_journal("r1", [call("b", 1), call("b", 0)])
    await store.put_journal(
        "r1", [call("a/inner", 0, b'{"bytes":"' + BINARY.hex().encode() + b'"}')]
    )
    journal = (await loaded(store, "r1")).journal
    assert list(journal) == [
        call("a/inner", 0, b'{"bytes":"' + BINARY.hex().encode() + b'"}'),
        call("b", 0),
        call("b", 1),
    ]
    assert journal[2].entry == JournalEntry(
        "b", 1, "tool", "hash-1", b'{"ask":1}', b'{"text":"hi"}'
    )


async def test_recording_a_call_again_replaces_it(store: AnyStore) -> None:
    await store.put_run(run())
    await store.put_journal("r1", [call("a", 0, b'{"v":1}')])
    await store.put_journal("r1", [call("a", 0, b'{"v":2}'), call("a", 0, b'{"v":3}')])
    await store.put_journal("r1", [call("a", 0, b'{"v":3}')])  # idempotent
    assert list((await loaded(store, "r1")).journal) == [call("a", 0, b'{"v":3}')]


async def test_discard_forgets_a_nodes_calls_and_writes_the_rest_in_one_go(
    store: AnyStore,
) -> None:
    await store.put_run(run())
    await store.put_journal("r1", [call("a", 0), call("a", 1), call("b", 0)])
    await store.put_journal("r1", [call("c", 0)], discard=["a"])
    assert [(item.node, item.index) for item in (await loaded(store, "r1")).journal] == [
        ("b", 0),
        ("c", 0),
    ]


async def test_a_journal_of_an_unknown_run_or_another_run_is_refused(store: AnyStore) -> None:
    await store.put_run(run())
    with pytest.raises(StoreError, match="no run ghost"):
        await store.put_journal("ghost", [call("a", 0, run_id="ghost")])
    with pytest.raises(StoreError, match="run r2 under run r1"):
        await store.put_journal("r1", [call("a", 0), call("a", 1, run_id="r2")])
    assert (await loaded(store, "r1")).journal == []


async def test_a_call_whose_checksum_does_not_match_is_refused(store: AnyStore) -> None:
    await store.put_run(run())
    wrong = dataclasses.replace(call("b", 0), response=b'{"text":"forged"}')
    with pytest.raises(CorruptRecordError) as raised:
        await store.put_journal("r1", [call("a", 0), wrong])
    assert raised.value.run_id == "r1"
    assert "`b` call `0`" in str(raised.value)
    assert (await loaded(store, "r1")).journal == []


async def test_a_corrupted_call_is_an_error_naming_run_node_and_call(
    store: AnyStore, harness: Harness
) -> None:
    await store.put_run(run("run-7"))
    response = b'{"text":"the answer of call 3, unique in the whole database"}'
    await store.put_journal("run-7", [call("outer/agent", 3, response, run_id="run-7")])
    await harness.corrupt_call(store, "run-7", "outer/agent", 3, response)
    with pytest.raises(CorruptRecordError) as raised:
        await store.load("run-7")
    assert raised.value.run_id == "run-7"
    assert "`outer/agent` call `3`" in str(raised.value)
    assert "is corrupt" in str(raised.value)
