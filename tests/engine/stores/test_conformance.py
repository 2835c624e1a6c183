"""The store protocol, held to one behaviour by every store: memory, SQLite, PostgreSQL, Redis."""

from __future__ import annotations

import hashlib
from typing import Any

import anyio
import pytest

from plait.engine.stores._checks import RUN_FIXED_FIELDS
from plait.engine.stores._protocol import (
    CorruptRecordError,
    FailureRecord,
    InterruptRecord,
    OutputRecord,
    RunRecord,
    Store,
    StoredRun,
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


async def loaded(store: AnyStore, run_id: str) -> StoredRun:
    found = await store.load(run_id)
    assert found is not None, f"run {run_id} is not in the store"
    return found


async def test_a_store_satisfies_the_protocol(store: AnyStore) -> None:
    assert isinstance(store, Store)


async def test_a_run_round_trips_every_field(store: AnyStore) -> None:
    record = run(inputs=BINARY, parent_run="r0", created_at=1763841234.1234567, updated_at=6.25)
    await store.put_run(record)
    assert (await loaded(store, "r1")).run == record


async def test_an_unknown_run_is_none(store: AnyStore) -> None:
    assert await store.load("nope") is None


async def test_a_run_without_records_loads_empty(store: AnyStore) -> None:
    await store.put_run(run())
    assert await store.load("r1") == StoredRun(run(), {}, [], [], [], [])


async def test_a_run_id_is_used_once(store: AnyStore) -> None:
    await store.put_run(run(graph="first"))
    with pytest.raises(StoreError, match="run r1 already exists"):
        await store.put_run(run(graph="second"))
    assert (await loaded(store, "r1")).run.graph == "first"


CHANGED_FIXED_FIELDS: dict[str, Any] = {
    "graph": "other",
    "content_hash": "beef",
    "canonical": "{}",
    "inputs": b"{}",
    "created_at": 100.5,
    "parent_run": "r0",
}


@pytest.mark.parametrize("field", RUN_FIXED_FIELDS)
async def test_put_run_never_changes_a_fixed_field(store: AnyStore, field: str) -> None:
    assert set(CHANGED_FIXED_FIELDS) == set(RUN_FIXED_FIELDS)
    await store.put_run(run(parent_run="p"))
    fields: dict[str, Any] = {"parent_run": "p", "status": StoredStatus.FAILED, "updated_at": 200.0}
    fields[field] = CHANGED_FIXED_FIELDS[field]
    changed = run(**fields)
    with pytest.raises(StoreError, match="run r1 already exists"):
        await store.put_run(changed)
    assert (await loaded(store, "r1")).run == run(parent_run="p")


async def test_put_run_again_records_status_time_and_error(store: AnyStore) -> None:
    await store.put_run(run())
    await store.put_run(
        run(status=StoredStatus.FAILED, updated_at=200.0, error="`b` raised ValueError")
    )
    failed = (await loaded(store, "r1")).run
    assert failed == run(
        status=StoredStatus.FAILED, updated_at=200.0, error="`b` raised ValueError"
    )
    await store.put_run(run(status=StoredStatus.SUCCEEDED, updated_at=300.0))
    done = (await loaded(store, "r1")).run
    assert done == run(status=StoredStatus.SUCCEEDED, updated_at=300.0)


async def test_put_run_of_a_new_id_records_it_as_given(store: AnyStore) -> None:
    waiting = run("ghost", status=StoredStatus.WAITING, updated_at=150.0, error="asked")
    await store.put_run(waiting)
    assert (await loaded(store, "ghost")).run == waiting


async def test_list_runs_is_newest_first_with_ties_in_creation_order(store: AnyStore) -> None:
    for run_id, created in [("old", 1.0), ("new", 3.0), ("tie-a", 2.0), ("tie-b", 2.0)]:
        await store.put_run(run(run_id, created_at=created))
    listed = [record.run_id for record in await store.list_runs()]
    assert listed == ["new", "tie-b", "tie-a", "old"]
    assert [record.run_id for record in await store.list_runs(limit=2)] == ["new", "tie-b"]
    assert list(await store.list_runs(limit=0)) == []
    await store.put_run(
        run("old", 1.0, status=StoredStatus.FAILED, updated_at=9.0)
    )  # updating does not reorder
    assert [record.run_id for record in await store.list_runs(limit=1)] == ["new"]


async def test_an_output_round_trips_with_its_checksum(store: AnyStore) -> None:
    await store.put_run(run())
    await store.put_outputs([OutputRecord.of("r1", "outer/inner/a", 2, BINARY, 7.5)])
    await store.put_outputs([OutputRecord.of("r1", "empty", 1, b"", 8.0)])
    stored = (await loaded(store, "r1")).outputs
    assert stored == {
        "outer/inner/a": output("r1", "outer/inner/a", BINARY, at=7.5, attempt=2),
        "empty": output("r1", "empty", b"", at=8.0),
    }
    assert list(stored) == ["outer/inner/a", "empty"]  # in commit order


async def test_a_large_output_round_trips(store: AnyStore) -> None:
    await store.put_run(run())
    data = BINARY * 4096  # 1 MiB
    await store.put_outputs([OutputRecord.of("r1", "big", 1, data, 1.0)])
    assert ((await loaded(store, "r1")).outputs)["big"].data == data


async def test_putting_an_output_again_replaces_it(store: AnyStore) -> None:
    await store.put_run(run())
    await store.put_outputs([OutputRecord.of("r1", "a", 1, b"first", 1.0)])
    await store.put_outputs([OutputRecord.of("r1", "a", 2, b"second", 2.0)])
    assert (await loaded(store, "r1")).outputs == {
        "a": output("r1", "a", b"second", at=2.0, attempt=2)
    }


async def test_outputs_belong_to_their_run(store: AnyStore) -> None:
    await store.put_run(run("r1"))
    await store.put_run(run("r2", created_at=101.0))
    await store.put_outputs([OutputRecord.of("r1", "a", 1, b"one", 1.0)])
    await store.put_outputs([OutputRecord.of("r2", "a", 1, b"two", 1.0)])
    assert ((await loaded(store, "r1")).outputs)["a"].data == b"one"
    assert ((await loaded(store, "r2")).outputs)["a"].data == b"two"


async def test_an_output_of_an_unknown_run_is_refused(store: AnyStore) -> None:
    with pytest.raises(StoreError, match="no run ghost"):
        await store.put_outputs([OutputRecord.of("ghost", "a", 1, b"x", 1.0)])


async def test_put_outputs_commits_a_batch_and_the_last_of_a_node_wins(store: AnyStore) -> None:
    await store.put_run(run("r1"))
    await store.put_run(run("r2", created_at=101.0))
    await store.put_outputs(
        [
            output("r1", "a", b"a1", at=1.0),
            output("r2", "a", b"other run", at=1.5),
            output("r1", "b", b"b1", at=2.0),
            output("r1", "a", b"a2", at=3.0, attempt=2),
        ]
    )
    assert (await loaded(store, "r1")).outputs == {
        "b": output("r1", "b", b"b1", at=2.0),
        "a": output("r1", "a", b"a2", at=3.0, attempt=2),
    }
    assert ((await loaded(store, "r2")).outputs)["a"].data == b"other run"
    await store.put_outputs([])
    assert len((await loaded(store, "r1")).outputs) == 2


async def test_put_outputs_writes_nothing_when_one_run_is_missing(store: AnyStore) -> None:
    await store.put_run(run())
    await store.put_outputs([OutputRecord.of("r1", "a", 1, b"before", 1.0)])
    batch = [output("r1", "a", b"after", at=2.0), output("r1", "b", b"new", at=2.0)]
    with pytest.raises(StoreError, match="no run ghost"):
        await store.put_outputs([*batch, output("ghost", "c", b"lost", at=2.0)])
    assert (await loaded(store, "r1")).outputs == {"a": output("r1", "a", b"before", at=1.0)}


async def test_put_outputs_refuses_a_checksum_that_does_not_match(store: AnyStore) -> None:
    await store.put_run(run())
    wrong = OutputRecord("r1", "b", 1, b"data", hashlib.sha256(b"other").hexdigest(), 1.0)
    with pytest.raises(CorruptRecordError) as raised:
        await store.put_outputs([output("r1", "a", b"fine"), wrong])
    assert (raised.value.run_id, raised.value.node) == ("r1", "b")
    assert (await loaded(store, "r1")).outputs == {}


async def test_corrupted_bytes_are_an_error_naming_run_and_node(
    store: AnyStore, harness: Harness
) -> None:
    await store.put_run(run("run-7"))
    data = b"the summary of node b, unique in the whole database " + BINARY
    await store.put_outputs([OutputRecord.of("run-7", "a", 1, b"fine", 1.0)])
    await store.put_outputs([OutputRecord.of("run-7", "outer/b", 1, data, 2.0)])
    await harness.corrupt(store, "run-7", "outer/b", data)
    with pytest.raises(CorruptRecordError) as raised:
        await store.load("run-7")
    assert (raised.value.run_id, raised.value.node) == ("run-7", "outer/b")
    assert "run run-7" in str(raised.value)
    assert "`outer/b`" in str(raised.value)
    assert "is corrupt" in str(raised.value)


async def test_failures_come_back_oldest_first(store: AnyStore) -> None:
    await store.put_run(run("r1"))
    await store.put_run(run("r2", created_at=101.0))
    later = FailureRecord("r1", "a", 2, "TimeoutError", "attempt 2 timed out", 5.0)
    first = FailureRecord("r1", "a", 1, "ValueError", "bad value: ünïcode", 3.0)
    tie = FailureRecord("r1", "b", 1, "KeyError", "'k'", 5.0)
    for record in (later, first, tie, FailureRecord("r2", "a", 1, "E", "other run", 1.0)):
        await store.put_failure(record)
    assert list((await loaded(store, "r1")).failures) == [first, later, tie]
    with pytest.raises(StoreError, match="no run ghost"):
        await store.put_failure(FailureRecord("ghost", "a", 1, "E", "m", 1.0))


async def test_an_answer_updates_its_question_in_place(store: AnyStore) -> None:
    await store.put_run(run())
    approve = InterruptRecord(
        "r1", "approve", "answer", "Ship it?", '{"type": "boolean"}', None, 2.0
    )
    name = InterruptRecord("r1", "name", "answer", "Name?", '{"type": "string"}', None, 3.0)
    await store.put_interrupt(approve)
    await store.put_interrupt(name)
    assert list((await loaded(store, "r1")).interrupts) == [approve, name]
    answered = InterruptRecord(
        "r1", "approve", "answer", "Ship it?", '{"type": "boolean"}', b"true", 9.0
    )
    await store.put_interrupt(answered)
    assert list((await loaded(store, "r1")).interrupts) == [
        InterruptRecord("r1", "approve", "answer", "Ship it?", '{"type": "boolean"}', b"true", 2.0),
        name,
    ]
    again = InterruptRecord("r1", "approve", "again", "Sure?", "{}", BINARY, 4.0)
    await store.put_interrupt(again)
    assert [(item.node, item.key) for item in (await loaded(store, "r1")).interrupts] == [
        ("approve", "answer"),
        ("name", "answer"),
        ("approve", "again"),
    ]
    with pytest.raises(StoreError, match="no run ghost"):
        await store.put_interrupt(InterruptRecord("ghost", "n", "k", "q", "{}", None, 1.0))


async def test_concurrent_puts_all_land(store: AnyStore) -> None:
    await store.put_run(run())

    async def put(index: int) -> None:
        await store.put_outputs(
            [OutputRecord.of("r1", f"n{index}", 1, f"value {index}".encode(), float(index))]
        )
        await store.put_outputs(
            [OutputRecord.of("r1", "shared", 1, f"value {index}".encode(), 100.0 + index)]
        )
        await store.put_outputs([output("r1", f"batch{index}", b"b", at=200.0 + index)])

    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            for index in range(40):
                group.start_soon(put, index)
    stored = (await loaded(store, "r1")).outputs
    assert len(stored) == 40 + 1 + 40
    assert all(stored[f"n{index}"].data == f"value {index}".encode() for index in range(40))
    assert stored["shared"].data.startswith(b"value ")


async def test_concurrent_batches_over_the_same_nodes_all_commit(store: AnyStore) -> None:
    await store.put_run(run())
    nodes = [f"n{index}" for index in range(20)]

    async def put_batch(index: int) -> None:
        order = nodes if index % 2 else nodes[::-1]  # opposite orders: no deadlock
        await store.put_outputs([output("r1", node, f"{index}".encode()) for node in order])

    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            for index in range(10):
                group.start_soon(put_batch, index)
    stored = (await loaded(store, "r1")).outputs
    assert sorted(stored) == sorted(nodes)
    assert len({record.data for record in stored.values()}) == 1  # one batch won, whole
