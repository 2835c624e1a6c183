"""The Redis store's writes: one function per store operation, each one script.

A script's answer (see ``_redis_scripts``) becomes the same error the other stores raise,
through the same checks (``_checks``), so one conformance suite holds them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from plait.engine.stores import _redis_rows as records
from plait.engine.stores._checks import (
    check_fence,
    journal_batch,
    no_such_run,
    run_exists,
    verified_turn,
)
from plait.engine.stores._protocol import (
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    Lease,
    RunRecord,
    StoreError,
    ThreadRecord,
)
from plait.engine.stores._redis_connection import RedisConnection
from plait.engine.stores._redis_records import Keys, joined
from plait.engine.stores._seal import Sealer

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "answered",
    "check_key",
    "fenced",
    "put_failure",
    "put_interrupt",
    "put_journal",
    "put_run",
    "put_thread",
    "text",
    "write",
]


Answer = list[object]


async def put_run(
    connection: RedisConnection, keys: Keys, sealer: Sealer, record: RunRecord, lease: Lease | None
) -> None:
    """Record the run, or its new state when the stored one has the same fixed fields.

    Raises:
        StoreError: when the id is taken by a run with other fixed fields.
        LeaseLostError: when ``lease`` is no longer the run's.
    """
    run_id = record.run_id
    await write(
        connection, keys, "PUT_RUN", lease, [run_id], f"store run {run_id}",
        [keys.run(run_id), keys.runs, keys.sequence, keys.graph(record.content_hash)],
        [
            records.run_fixed(record, sealer), records.run_state(record, sealer),
            float(record.created_at), run_id,
            records.graph_value(record.content_hash, record.canonical, sealer),
        ],
    )  # fmt: skip


async def put_failure(
    connection: RedisConnection,
    keys: Keys,
    sealer: Sealer,
    record: FailureRecord,
    lease: Lease | None,
) -> None:
    """Append a failed attempt."""
    run_id = record.run_id
    await write(
        connection, keys, "APPEND", lease, [run_id], f"record a failure of node `{record.node}`",
        [keys.run(run_id), keys.failures(run_id)], [run_id, records.failure_value(record, sealer)],
    )  # fmt: skip


async def put_interrupt(
    connection: RedisConnection,
    keys: Keys,
    sealer: Sealer,
    record: InterruptRecord,
    lease: Lease | None,
) -> None:
    """Record a question, or its answer in place (keeping its place and ``created_at``)."""
    run_id = record.run_id
    field = joined(record.node, record.key)
    value, head = records.interrupt_value(record, sealer), records.interrupt_head(record)
    await write(
        connection, keys, "PUT_IN_PLACE", lease, [run_id],
        f"record an interrupt of node `{record.node}`",
        [keys.run(run_id), keys.interrupts(run_id), keys.interrupt_order(run_id)],
        [run_id, field, value, head],
    )  # fmt: skip


async def put_thread(
    connection: RedisConnection,
    keys: Keys,
    sealer: Sealer,
    record: ThreadRecord,
    lease: Lease | None,
) -> None:
    """Append a turn, or replace the same thread, run and node's turn in place.

    Raises:
        CorruptRecordError: when the record's checksum does not match its bytes.
        StoreError: when the run does not exist.
    """
    verified_turn(record)
    run_id, thread_id = record.run_id, record.thread_id
    field = joined(run_id, record.node)
    value, head = records.thread_value(record, sealer), records.thread_head(record)
    await write(
        connection, keys, "PUT_IN_PLACE", lease, [run_id], f"append to thread `{thread_id}`",
        [keys.run(run_id), keys.thread(thread_id), keys.thread_order(thread_id)],
        [run_id, field, value, head],
    )  # fmt: skip


async def put_journal(
    connection: RedisConnection,
    keys: Keys,
    sealer: Sealer,
    run_id: str,
    calls: Sequence[JournalRecord],
    discard: Sequence[str],
    lease: Lease | None,
) -> None:
    """Forget the ``discard`` nodes' calls, then write ``calls``: one script.

    Raises:
        CorruptRecordError: when a record's checksum does not match its bytes.
        StoreError: when a record is of another run, or the run does not exist.
    """
    kept = journal_batch(run_id, calls)
    args: list[object] = [run_id, len(discard), *(joined(node, "") for node in discard)]
    for call in kept:
        args += [joined(call.node, str(call.index)), records.journal_value(call, sealer)]
    await write(
        connection, keys, "PUT_JOURNAL", lease, [run_id], "journal agent calls",
        [keys.run(run_id), keys.journal(run_id)], args,
    )  # fmt: skip


async def check_key(connection: RedisConnection, keys: Keys, sealer: Sealer) -> None:
    """Record the sealing key's check in a new database, or refuse another key's.

    Raises:
        StoreError: when the records were sealed with another key, or with one and none
            is given (or without one, and one is given).
    """

    async def read(client: Redis) -> object:
        await client.set(keys.key_check, sealer.key_check(), nx=True)
        return await client.get(keys.key_check)

    stored = await connection.call(read, "check the sealing key")
    sealer.check_key(stored, connection.where)


async def write(
    connection: RedisConnection,
    keys: Keys,
    script: str,
    lease: Lease | None,
    run_ids: Sequence[str],
    doing: str,
    script_keys: Sequence[str],
    args: Sequence[object],
) -> Answer:
    """Run a write script, fenced by ``lease``, and raise what its answer reports."""
    fence_key, fence_args = fenced(keys, lease, run_ids)
    answer = await connection.script(script, [fence_key, *script_keys], [*fence_args, *args], doing)
    return answered(connection, answer, lease, run_ids, doing)


def fenced(keys: Keys, lease: Lease | None, run_ids: Sequence[str]) -> tuple[str, list[object]]:
    """A write script's first key and arguments: the lease's key, its owner and token
    (an empty token: no lease given)."""
    if lease is None:
        return keys.lease(run_ids[0] if run_ids else ""), ["", ""]
    check_fence(lease, (lease.owner, lease.token), run_ids)  # only: no other run
    return keys.lease(lease.run_id), [lease.owner, str(lease.token)]


def answered(
    connection: RedisConnection,
    answer: Answer,
    lease: Lease | None,
    run_ids: Sequence[str],
    doing: str,
) -> Answer:
    """``answer`` when a write script answered ``ok``; else raise what it reports."""
    status = text(answer[0]) if answer else ""
    if status == "lost" and lease is not None:
        held = (text(answer[1]), int(text(answer[2]))) if len(answer) >= 3 else None
        check_fence(lease, held, run_ids)
    elif status == "missing":
        raise no_such_run([text(item) for item in answer[1:]], doing)
    elif status == "exists":
        raise run_exists(run_ids[0])
    if status != "ok":
        raise StoreError(f"{connection.where}: cannot {doing}: the store answered {answer!r}")
    return answer


def text(value: object) -> str:
    """A value Redis answered, as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
