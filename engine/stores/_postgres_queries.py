"""The PostgreSQL store's statements: one function per store operation, on a connection.

Connections are autocommit: each write is one statement, so one transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from plait.engine.stores._checks import (
    RELEASED,
    journal_batch,
    last_per_node,
    no_such_run,
    run_exists,
    verified_turn,
)
from plait.engine.stores._postgres_connection import is_foreign_key_violation
from plait.engine.stores._postgres_fence import fence
from plait.engine.stores._postgres_shared import load_by_run
from plait.engine.stores._protocol import (
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    Lease,
    OutputRecord,
    RunLockedError,
    RunRecord,
    StoredRun,
    StoreError,
    ThreadRecord,
)
from plait.engine.stores._rows import (
    FAILURE_COLUMNS,
    INTERRUPT_COLUMNS,
    JOURNAL_COLUMNS,
    OUTPUT_COLUMNS,
    OUTPUT_CONFLICT,
    RUN_COLUMNS,
    RUN_SELECT,
    THREAD_COLUMNS,
    failure_record,
    failure_row,
    graph_row,
    interrupt_record,
    interrupt_row,
    journal_record,
    journal_row,
    output_record,
    output_row,
    run_record,
    run_row,
    thread_record,
    thread_row,
)
from plait.engine.stores._seal import Sealer, deflate

if TYPE_CHECKING:
    from psycopg import AsyncConnection

    Connection = AsyncConnection[tuple[Any, ...]]

__all__ = [
    "acquire",
    "leases",
    "list_runs",
    "load",
    "load_thread",
    "put_failure",
    "put_interrupt",
    "put_journal",
    "put_outputs",
    "put_run",
    "put_thread",
    "release",
    "renew",
]

_PUT_RUN = f"""
    INSERT INTO plait_runs ({RUN_COLUMNS}) VALUES ({", ".join(["%s"] * 11)})
    ON CONFLICT (run_id) DO UPDATE SET
        status = EXCLUDED.status, updated_at = EXCLUDED.updated_at, error = EXCLUDED.error,
        state_checksum = EXCLUDED.state_checksum
    WHERE plait_runs.checksum = EXCLUDED.checksum
    RETURNING run_id
"""
_PUT_GRAPH = """INSERT INTO plait_graphs (content_hash, canonical, checksum) VALUES (%s, %s, %s)
    ON CONFLICT (content_hash) DO NOTHING"""
_GRAPH_KNOWN = "SELECT 1 FROM plait_graphs WHERE content_hash = %s"
_PUT_OUTPUTS = f"""
    INSERT INTO plait_outputs ({OUTPUT_COLUMNS}) SELECT * FROM unnest(
        %s::text[], %s::text[], %s::integer[], %s::bytea[], %s::bytea[], %s::float8[])
    {OUTPUT_CONFLICT}
"""
_PUT_OUTPUTS_FENCED = f"""
    INSERT INTO plait_outputs ({OUTPUT_COLUMNS}) SELECT * FROM unnest(
        %s::text[], %s::text[], %s::integer[], %s::bytea[], %s::bytea[], %s::float8[])
    WHERE EXISTS (SELECT 1 FROM plait_leases WHERE run_id = %s AND owner = %s AND token = %s
        FOR SHARE)
    {OUTPUT_CONFLICT}
"""
"""Outputs written only while the lease holds, in one statement (its own transaction on
the autocommit connection): one round trip, not four (``BEGIN``, the fence's ``SELECT``,
the insert, ``COMMIT``). ``FOR SHARE`` makes a takeover wait for the statement, and the
statement wait for a takeover in flight and then see its new owner."""
_PUT_FAILURE = f"INSERT INTO plait_failures ({FAILURE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
_PUT_INTERRUPT = f"""
    INSERT INTO plait_interrupts ({INTERRUPT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (run_id, node, key) DO UPDATE SET
        question = EXCLUDED.question, answer_schema = EXCLUDED.answer_schema,
        answer = EXCLUDED.answer, checksum = EXCLUDED.checksum
"""
_PUT_CALL = f"""
    INSERT INTO plait_journal ({JOURNAL_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (run_id, node, call_index) DO UPDATE SET
        kind = EXCLUDED.kind, request_hash = EXCLUDED.request_hash,
        request = EXCLUDED.request, response = EXCLUDED.response,
        checksum = EXCLUDED.checksum, created_at = EXCLUDED.created_at
"""
_JOURNAL = (
    f"SELECT {JOURNAL_COLUMNS} FROM plait_journal WHERE run_id = %s ORDER BY node, call_index"
)
_PUT_TURN = f"""
    INSERT INTO plait_threads ({THREAD_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (thread_id, run_id, node) DO UPDATE SET
        messages_after = EXCLUDED.messages_after, messages = EXCLUDED.messages,
        checksum = EXCLUDED.checksum
"""
_THREAD = f"SELECT {THREAD_COLUMNS} FROM plait_threads WHERE thread_id = %s ORDER BY seq"
_LOCK_RUN = "SELECT 1 FROM plait_runs WHERE run_id = %s FOR SHARE"
_DISCARD = "DELETE FROM plait_journal WHERE run_id = %s AND node = ANY(%s)"
_ACQUIRE = """
    INSERT INTO plait_leases (run_id, owner, expires_at, token) VALUES (%s, %s, %s, 1)
    ON CONFLICT (run_id) DO UPDATE SET
        token = plait_leases.token + (plait_leases.owner <> EXCLUDED.owner)::integer,
        owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
    WHERE plait_leases.owner = EXCLUDED.owner OR plait_leases.expires_at <= %s
        OR plait_leases.owner = %s
    RETURNING token
"""
_RENEW = """
    UPDATE plait_leases SET expires_at = %s WHERE run_id = %s AND owner = %s AND token = %s
    RETURNING token
"""
_LEASES = """
    SELECT run_id, owner, token, expires_at FROM plait_leases
    WHERE owner <> %s AND run_id = ANY(%s)
"""
_GET_RUN = f"{RUN_SELECT} WHERE r.run_id = %s"
_RECENT_RUNS = f"{RUN_SELECT} ORDER BY r.created_at DESC, r.seq DESC LIMIT %s"
_OUTPUTS = f"SELECT {OUTPUT_COLUMNS} FROM plait_outputs WHERE run_id = %s ORDER BY created_at, node"
_FAILURES = (
    f"SELECT {FAILURE_COLUMNS} FROM plait_failures WHERE run_id = %s ORDER BY created_at, seq"
)
_INTERRUPTS = (
    f"SELECT {INTERRUPT_COLUMNS} FROM plait_interrupts WHERE run_id = %s ORDER BY created_at, seq"
)


async def put_run(
    connection: Connection, record: RunRecord, lease: Lease | None, sealer: Sealer
) -> None:
    """Insert the run, or update its state when the stored one has the same fixed fields.

    Raises:
        StoreError: when the id is taken by a run with other fixed fields.
        LeaseLostError: when ``lease`` is no longer the run's.
    """
    async with connection.transaction():
        await fence(connection, lease, [record.run_id])
        known = await connection.execute(_GRAPH_KNOWN, (record.content_hash,))
        if await known.fetchone() is None:
            packed = deflate(record.canonical)
            await connection.execute(_PUT_GRAPH, graph_row(record.content_hash, packed, sealer))
        cursor = await connection.execute(_PUT_RUN, run_row(record, sealer))
        if await cursor.fetchone() is None:
            raise run_exists(record.run_id)


async def put_outputs(
    connection: Connection, records: Sequence[OutputRecord], lease: Lease | None, sealer: Sealer
) -> None:
    """Write the outputs (the last one of each node) in one statement.

    Raises:
        CorruptRecordError: when a record's checksum does not match its bytes.
        StoreError: when a record's run does not exist.
    """
    # One lock order for every batch, so two concurrent batches cannot deadlock.
    kept = sorted(last_per_node(records), key=lambda record: (record.run_id, record.node))
    columns = [
        list(column)
        for column in zip(*(output_row(record, sealer) for record in kept), strict=True)
    ]
    run_ids = {record.run_id for record in kept}
    if lease is None or run_ids != {lease.run_id}:
        await _insert(connection, _PUT_OUTPUTS, columns, run_ids, "store outputs", lease)
    else:
        await _insert(connection, _PUT_OUTPUTS_FENCED, columns, run_ids, "store outputs", lease,
                      rows=len(kept))  # fmt: skip


async def put_failure(
    connection: Connection, record: FailureRecord, lease: Lease | None, sealer: Sealer
) -> None:
    """Append a failed attempt."""
    doing = f"record a failure of node `{record.node}`"
    row = failure_row(record, sealer)
    await _insert(connection, _PUT_FAILURE, row, [record.run_id], doing, lease)


async def put_interrupt(
    connection: Connection, record: InterruptRecord, lease: Lease | None, sealer: Sealer
) -> None:
    """Record a question, or its answer in place (keeping its place and ``created_at``)."""
    doing = f"record an interrupt of node `{record.node}`"
    row = interrupt_row(record, sealer)
    await _insert(connection, _PUT_INTERRUPT, row, [record.run_id], doing, lease)


async def put_journal(
    connection: Connection,
    run_id: str,
    records: Sequence[JournalRecord],
    discard: Sequence[str],
    lease: Lease | None,
    sealer: Sealer,
) -> None:
    """Delete the journal of the ``discard`` nodes, then write ``records``: one transaction.

    Raises:
        CorruptRecordError: when a record's checksum does not match its bytes.
        StoreError: when a record is of another run, or the run does not exist.
    """
    kept = sorted(journal_batch(run_id, records), key=lambda record: (record.node, record.index))
    async with connection.transaction():
        await fence(connection, lease, [run_id])
        if await (await connection.execute(_LOCK_RUN, (run_id,))).fetchone() is None:
            raise no_such_run([run_id], "journal agent calls")
        if discard:
            await connection.execute(_DISCARD, (run_id, list(discard)))
        if kept:
            async with connection.cursor() as cursor:
                await cursor.executemany(
                    _PUT_CALL, [journal_row(record, sealer) for record in kept]
                )


async def put_thread(
    connection: Connection, record: ThreadRecord, lease: Lease | None, sealer: Sealer
) -> None:
    """Append a turn, or replace the same thread, run and node's turn in place.

    Raises:
        CorruptRecordError: when the record's checksum does not match its bytes.
        StoreError: when the run does not exist.
    """
    row = thread_row(verified_turn(record), sealer)
    doing = f"append to thread `{record.thread_id}`"
    await _insert(connection, _PUT_TURN, row, [record.run_id], doing, lease)


async def load_thread(connection: Connection, thread_id: str, sealer: Sealer) -> list[ThreadRecord]:
    """The thread's turns in append order, each checked against its checksum.

    Raises:
        CorruptRecordError: when a turn's bytes do not match its checksum.
    """
    rows = await (await connection.execute(_THREAD, (thread_id,))).fetchall()
    return [thread_record(row, sealer) for row in rows]


async def load(connection: Connection, run_id: str, sealer: Sealer) -> StoredRun | None:
    """The run and its records, or None when there is no such run.

    Raises:
        CorruptRecordError: when an output's bytes do not match its checksum.
    """
    row = await (await connection.execute(_GET_RUN, (run_id,))).fetchone()
    if row is None:
        return None
    outputs = await (await connection.execute(_OUTPUTS, (run_id,))).fetchall()
    failures = await (await connection.execute(_FAILURES, (run_id,))).fetchall()
    interrupts = await (await connection.execute(_INTERRUPTS, (run_id,))).fetchall()
    journal = await (await connection.execute(_JOURNAL, (run_id,))).fetchall()
    records = [output_record(output, sealer) for output in outputs]
    return StoredRun(
        run_record(row, sealer),
        {record.node: record for record in records},
        [failure_record(failure, sealer) for failure in failures],
        [interrupt_record(interrupt, sealer) for interrupt in interrupts],
        [journal_record(call, sealer) for call in journal],
        await load_by_run(connection, run_id, sealer),
    )


async def list_runs(connection: Connection, limit: int, sealer: Sealer) -> list[RunRecord]:
    """The most recent runs (by ``created_at``, then creation order), newest first."""
    cursor = await connection.execute(_RECENT_RUNS, (max(limit, 0),))
    return [run_record(row, sealer) for row in await cursor.fetchall()]


async def acquire(
    connection: Connection, run_id: str, owner: str, ttl: float, now: float, take_from: str | None
) -> Lease:
    """Take, renew or take over the lease with one upsert whose update applies only to the
    same owner, an expired lease or ``take_from``'s: PostgreSQL locks the row, so of two
    callers exactly one wins (and it waits for a fenced write holding the row to end).

    Raises:
        RunLockedError: when another owner holds a lease that expires after ``now``.
    """
    while True:
        cursor = await connection.execute(_ACQUIRE, (run_id, owner, now + ttl, now, take_from))
        row = await cursor.fetchone()
        if row is not None:
            return Lease(run_id, owner, int(row[0]), now + ttl)
        cursor = await connection.execute(
            "SELECT owner, expires_at FROM plait_leases WHERE run_id = %s", (run_id,)
        )
        held = await cursor.fetchone()
        if held is not None:  # else it was released in between: try again
            raise RunLockedError(run_id, held[0], held[1] - now)


async def renew(connection: Connection, lease: Lease, ttl: float, now: float) -> Lease:
    """Extend ``lease`` when it is still the stored one.

    Raises:
        LeaseLostError: when it was taken over or given up.
    """
    async with connection.transaction():
        await fence(connection, lease, [])
        await connection.execute(_RENEW, (now + ttl, lease.run_id, lease.owner, lease.token))
    return Lease(lease.run_id, lease.owner, lease.token, now + ttl)


async def release(connection: Connection, run_id: str, owner: str) -> None:
    """Mark the lease released if ``owner`` holds it (its token stays)."""
    await connection.execute(
        "UPDATE plait_leases SET owner = %s, expires_at = 0 WHERE run_id = %s AND owner = %s",
        (RELEASED, run_id, owner),
    )


async def leases(connection: Connection, run_ids: Sequence[str]) -> dict[str, Lease]:
    """The held (not released) leases of ``run_ids``."""
    rows = await (await connection.execute(_LEASES, (RELEASED, list(run_ids)))).fetchall()
    return {row[0]: Lease(row[0], row[1], int(row[2]), float(row[3])) for row in rows}


async def _insert(
    connection: Connection,
    statement: str,
    values: Sequence[object],
    run_ids: Collection[str],
    doing: str,
    lease: Lease | None = None,
    *,
    rows: int | None = None,
) -> None:
    """Run one insert (in a transaction fenced by ``lease`` when given); a row of a missing
    run is refused by name. With ``rows``, ``statement`` fences itself (its last three
    parameters the lease's run id, owner and token) and should write that many rows: one
    statement, its own transaction on the autocommit connection.

    Raises:
        LeaseLostError: when ``lease`` is no longer the run's.
    """
    written = rows
    try:
        if lease is None:
            await connection.execute(statement, values)
        elif rows is not None:
            guard = [lease.run_id, lease.owner, lease.token]
            written = (await connection.execute(statement, [*values, *guard])).rowcount
        else:
            async with connection.transaction():
                await fence(connection, lease, run_ids)
                await connection.execute(statement, values)
    except Exception as error:
        if not is_foreign_key_violation(error):
            raise
        cursor = await connection.execute(
            "SELECT run_id FROM plait_runs WHERE run_id = ANY(%s)", (list(run_ids),)
        )
        found = {row[0] for row in await cursor.fetchall()}
        raise no_such_run(set(run_ids) - found, doing) from None
    if lease is not None and rows is not None and written != rows:
        await fence(connection, lease, run_ids)  # raises LeaseLostError, naming the holder
        raise StoreError(f"run {lease.run_id}: {rows - (written or 0)} row(s) not written")
