"""The Redis store's reads: a run and its records, threads, shared memory, recent runs.

A run is read by one script (a consistent snapshot); every stored value is read back
against the fields it must hold, and a value that does not hold them is a corrupt record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from plait.engine.stores import _redis_rows as records
from plait.engine.stores._protocol import (
    OutputRecord,
    RunRecord,
    SharedRecord,
    StoredRun,
    ThreadRecord,
)
from plait.engine.stores._redis_connection import RedisConnection
from plait.engine.stores._redis_queries import text
from plait.engine.stores._redis_records import Keys
from plait.engine.stores._seal import Sealer

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["list_runs", "load", "load_shared", "load_thread", "shared_read"]

_SEQUENCE_WIDTH = 20
"""The width of the creation sequence heading each member of ``Keys.runs``."""


async def load(
    connection: RedisConnection, keys: Keys, sealer: Sealer, run_id: str
) -> StoredRun | None:
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
    graphs = await _graphs(connection, keys, [(run_id, fixed)])
    run = records.run_record(run_id, fixed, state, graphs.get(run_id), sealer)
    stored = [
        records.output_record(run_id, text(node), value, sealer) for node, value in _pairs(outputs)
    ]
    calls = [records.journal_record(run_id, value, sealer) for _, value in _pairs(journal)]
    failed = [records.failure_record(run_id, value, sealer) for value in _items(failures)]
    by_field = {text(field): value for field, value in _pairs(interrupts)}
    asked = [records.interrupt_record(run_id, head, by_field, sealer) for head in _items(order)]
    return StoredRun(
        run,
        {record.node: record for record in sorted(stored, key=_commit_order)},
        sorted(failed, key=lambda failure: failure.created_at),
        sorted(asked, key=lambda interrupt: interrupt.created_at),
        sorted(calls, key=lambda call: (call.node, call.index)),
        [_shared(run_id, value, version, sealer) for _, version, value in _triples(shared)],
    )


async def load_thread(
    connection: RedisConnection, keys: Keys, sealer: Sealer, thread_id: str
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
    return [records.thread_record(thread_id, head, by_field, sealer) for head in _items(order)]


async def load_shared(
    connection: RedisConnection, keys: Keys, sealer: Sealer, scope: str, owner: str, key: str
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
    return _shared(owner, value, version, sealer)


async def shared_read(
    client: Redis, keys: Keys, sealer: Sealer, scope: str, owner: str, key: str
) -> SharedRecord | None:
    """The key's last committed write, read with ``client`` (a pipeline WATCHing the key,
    in ``put_outputs``), checked against its checksum; None when never written."""
    top = await client.zrevrange(keys.shared_key(scope, owner, key), 0, 0, withscores=True)
    if not top:
        return None
    field, version = cast("tuple[bytes, float]", top[0])
    return _shared(owner, await client.hget(keys.shared, field), version, sealer)


async def list_runs(
    connection: RedisConnection, keys: Keys, sealer: Sealer, limit: int
) -> list[RunRecord]:
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

    found = await connection.call(read, "list runs")
    graphs = await _graphs(connection, keys, [(run_id, fixed) for run_id, fixed, _ in found])
    return [
        records.run_record(run_id, fixed, state, graphs.get(run_id), sealer)
        for run_id, fixed, state in found
    ]


async def _graphs(
    connection: RedisConnection, keys: Keys, runs: list[tuple[str, object]]
) -> dict[str, object]:
    """The stored graph description of each run (by run id), each read once."""
    hashes = {run_id: records.run_content_hash(run_id, fixed) for run_id, fixed in runs}
    unique = sorted(set(hashes.values()))
    if not unique:
        return {}

    async def read(client: Redis) -> list[object]:
        return list(await client.mget([keys.graph(content_hash) for content_hash in unique]))

    found = dict(zip(unique, await connection.call(read, "read graph descriptions"), strict=True))
    return {run_id: found[content_hash] for run_id, content_hash in hashes.items()}


def _shared(run_id: str, value: object, version: object, sealer: Sealer) -> SharedRecord:
    with records.reading(run_id, "write of shared key `?`"):
        number = int(float(text(version)))
    return records.shared_record(run_id, value, number, sealer)


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
