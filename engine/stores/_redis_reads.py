"""The Redis store's reads: a run and its records, threads, shared memory, recent runs.

A run is read by one script (a consistent snapshot); every stored value is read back
against the fields it must hold, and a value that does not hold them is a corrupt record.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

from plait.engine.stores import _redis_records as records
from plait.engine.stores._checks import verified, verified_call, verified_shared, verified_turn
from plait.engine.stores._protocol import (
    CorruptRecordError,
    InterruptRecord,
    OutputRecord,
    RunRecord,
    SharedRecord,
    StoredRun,
    ThreadRecord,
)
from plait.engine.stores._redis_connection import RedisConnection
from plait.engine.stores._redis_queries import text
from plait.engine.stores._redis_records import Keys

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["list_runs", "load", "load_shared", "load_thread", "shared_read"]

_SEQUENCE_WIDTH = 20
"""The width of the creation sequence heading each member of ``Keys.runs``."""


async def load(connection: RedisConnection, keys: Keys, run_id: str) -> StoredRun | None:
    """The run and its records, or None when there is no such run.

    Raises:
        CorruptRecordError: when a record's bytes do not match its checksum, or a stored
            value is not laid out as the store writes it.
    """
    found = await connection.script(
        "LOAD",
        [
            keys.run(run_id), keys.outputs(run_id), keys.failures(run_id),
            keys.interrupts(run_id), keys.interrupt_order(run_id), keys.journal(run_id),
            keys.shared_run(run_id), keys.shared,
        ],
        [],
        f"read run {run_id}",
    )  # fmt: skip
    if not found:
        return None
    fixed, state, outputs, failures, interrupts, order, journal, shared = found
    with _reading(run_id, "run"):
        run = records.run_record(run_id, fixed, state)
    stored = []
    for node, value in _pairs(outputs):
        with _reading(run_id, text(node)):
            stored.append(verified(records.output_record(run_id, value)))
    calls = []
    for field, value in _pairs(journal):
        with _reading(run_id, text(field)):
            calls.append(verified_call(records.journal_record(run_id, value)))
    failed = []
    for value in _items(failures):
        with _reading(run_id, "failure"):
            failed.append(records.failure_record(run_id, value))
    return StoredRun(
        run,
        {record.node: record for record in sorted(stored, key=_commit_order)},
        sorted(failed, key=lambda failure: failure.created_at),
        _interrupts(run_id, order, interrupts),
        sorted(calls, key=lambda call: (call.node, call.index)),
        [_shared(run_id, value, version) for _, version, value in _triples(shared)],
    )


async def load_thread(
    connection: RedisConnection, keys: Keys, thread_id: str
) -> list[ThreadRecord]:
    """The thread's turns in append order, each checked against its checksum.

    Raises:
        CorruptRecordError: when a turn's bytes do not match its checksum.
    """

    async def read(client: Redis) -> list[object]:
        async with client.pipeline(transaction=True) as pipe:
            pipe.hgetall(keys.thread(thread_id))
            pipe.lrange(keys.thread_order(thread_id), 0, -1)
            return list(await pipe.execute())

    values, order = await connection.call(read, f"read thread `{thread_id}`")
    by_field = {text(field): value for field, value in _mapping(values).items()}
    turns = []
    for head in _items(order):
        with _reading("?", f"turn in thread `{thread_id}"):
            turns.append(verified_turn(records.thread_record(thread_id, head, by_field)))
    return turns


async def load_shared(
    connection: RedisConnection, keys: Keys, scope: str, owner: str, key: str
) -> SharedRecord | None:
    """The key's last committed write, checked against its checksum, or None."""
    found = await connection.script(
        "LOAD_SHARED",
        [keys.shared_key(scope, owner, key), keys.shared],
        [],
        f"read shared key `{key}` (per {scope} {owner})",
    )
    if not found:
        return None
    value, version = found
    return _shared(owner, value, version)


async def shared_read(
    client: Redis, keys: Keys, scope: str, owner: str, key: str
) -> SharedRecord | None:
    """The key's last committed write, read with ``client`` (a pipeline WATCHing the key,
    in ``put_outputs``), checked against its checksum; None when never written."""
    top = await client.zrevrange(keys.shared_key(scope, owner, key), 0, 0, withscores=True)
    if not top:
        return None
    field, version = cast("tuple[bytes, float]", top[0])
    return _shared(owner, await client.hget(keys.shared, field), version)


async def list_runs(connection: RedisConnection, keys: Keys, limit: int) -> list[RunRecord]:
    """The most recent runs (by ``created_at``, then creation order), newest first."""
    if limit <= 0:
        return []

    async def read(client: Redis) -> list[tuple[str, object, object]]:
        members = await client.zrevrange(keys.runs, 0, limit - 1)
        run_ids = [text(member)[_SEQUENCE_WIDTH:] for member in members]
        async with client.pipeline(transaction=True) as pipe:
            for run_id in run_ids:
                pipe.hmget(keys.run(run_id), ["fixed", "state"])
            found = await pipe.execute()
        return [(run_id, *values) for run_id, values in zip(run_ids, found, strict=True)]

    found = []
    for run_id, fixed, state in await connection.call(read, "list runs"):
        with _reading(run_id, "run"):
            found.append(records.run_record(run_id, fixed, state))
    return found


def _interrupts(run_id: str, order: object, values: object) -> list[InterruptRecord]:
    by_field = {text(field): value for field, value in _pairs(values)}
    found = []
    for head in _items(order):
        with _reading(run_id, "interrupt"):
            found.append(records.interrupt_record(run_id, head, by_field))
    return sorted(found, key=lambda interrupt: interrupt.created_at)


def _shared(run_id: str, value: object, version: object) -> SharedRecord:
    with _reading(run_id, "shared memory write"):
        return verified_shared(records.shared_record(value, int(float(text(version)))))


@contextmanager
def _reading(run_id: str, where: str) -> Iterator[None]:
    """Report a value not laid out as the store writes it as a corrupt record."""
    try:
        yield
    except ValueError as error:  # a RecordFormatError, or a score that is not a number
        reason = f"the stored value is unreadable: {error}"
        raise CorruptRecordError(run_id, where, reason) from None


def _mapping(value: object) -> dict[object, object]:
    return dict(value) if isinstance(value, dict) else {}


def _items(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _pairs(value: object) -> list[tuple[object, object]]:
    items = _items(value)
    return list(zip(items[::2], items[1::2], strict=True))


def _triples(value: object) -> list[tuple[object, object, object]]:
    items = _items(value)
    return list(zip(items[::3], items[1::3], items[2::3], strict=True))


def _commit_order(record: OutputRecord) -> tuple[float, str]:
    return (record.created_at, record.node)
