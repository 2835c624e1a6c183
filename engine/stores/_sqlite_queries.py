"""The SQLite store's statements: one function per store operation, on a connection.

Each runs in the store's worker thread; a write is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from plait.engine.stores._checks import (
    RELEASED,
    journal_batch,
    last_per_node,
    no_such_run,
    run_exists,
    verified_turn,
)
from plait.engine.stores._protocol import (
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    Lease,
    OutputRecord,
    RunLockedError,
    RunRecord,
    StoredRun,
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
    Row,
    failure_record,
    failure_row,
    graph_row,
    interrupt_record,
    interrupt_row,
    journal_record,
    journal_row,
    output_record,
    output_row,
    output_upsert,
    run_record,
    run_row,
    thread_record,
    thread_row,
)
from plait.engine.stores._seal import Sealer, deflate
from plait.engine.stores._sqlite_fence import fence, fenced_insert, fenced_statement
from plait.engine.stores._sqlite_schema import transaction
from plait.engine.stores._sqlite_shared import load_by_run

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
    INSERT INTO plait_runs ({RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id) DO UPDATE SET
        status = excluded.status, updated_at = excluded.updated_at, error = excluded.error,
        state_checksum = excluded.state_checksum
    WHERE plait_runs.checksum = excluded.checksum
"""
_GRAPH_KNOWN = "SELECT 1 FROM plait_graphs WHERE content_hash = ?"
_PUT_GRAPH = "INSERT INTO plait_graphs (content_hash, canonical, checksum) VALUES (?, ?, ?)"
_PUT_OUTPUT = output_upsert("?")
_PUT_OUTPUT_FENCED = fenced_statement("plait_outputs", OUTPUT_COLUMNS, 6, OUTPUT_CONFLICT)
_PUT_FAILURE = f"INSERT INTO plait_failures ({FAILURE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
_PUT_INTERRUPT = f"""
    INSERT INTO plait_interrupts ({INTERRUPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, node, key) DO UPDATE SET
        question = excluded.question, answer_schema = excluded.answer_schema,
        answer = excluded.answer, checksum = excluded.checksum
"""
_PUT_CALL = f"""
    INSERT INTO plait_journal ({JOURNAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, node, call_index) DO UPDATE SET
        kind = excluded.kind, request_hash = excluded.request_hash,
        request = excluded.request, response = excluded.response,
        checksum = excluded.checksum, created_at = excluded.created_at
"""
_JOURNAL = f"SELECT {JOURNAL_COLUMNS} FROM plait_journal WHERE run_id = ? ORDER BY node, call_index"
_PUT_TURN = f"""
    INSERT INTO plait_threads ({THREAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (thread_id, run_id, node) DO UPDATE SET
        messages_after = excluded.messages_after, messages = excluded.messages,
        checksum = excluded.checksum
"""
_THREAD = f"SELECT {THREAD_COLUMNS} FROM plait_threads WHERE thread_id = ? ORDER BY seq"
_RUN_EXISTS = "SELECT 1 FROM plait_runs WHERE run_id = ?"
_DISCARD = "DELETE FROM plait_journal WHERE run_id = ? AND node = ?"
_ACQUIRE = """
    INSERT INTO plait_leases (run_id, owner, expires_at, token) VALUES (?, ?, ?, 1)
    ON CONFLICT (run_id) DO UPDATE SET
        token = plait_leases.token + (plait_leases.owner != excluded.owner),
        owner = excluded.owner, expires_at = excluded.expires_at
    WHERE plait_leases.owner = excluded.owner OR plait_leases.expires_at <= ?
        OR plait_leases.owner = ?
    RETURNING token
"""
_RENEW = "UPDATE plait_leases SET expires_at = ? WHERE run_id = ? AND owner = ? AND token = ?"
_GET_RUN = f"{RUN_SELECT} WHERE r.run_id = ?"
_RECENT_RUNS = f"{RUN_SELECT} ORDER BY r.created_at DESC, r.seq DESC LIMIT ?"
_OUTPUTS = f"SELECT {OUTPUT_COLUMNS} FROM plait_outputs WHERE run_id = ? ORDER BY created_at, node"
_FAILURES = (
    f"SELECT {FAILURE_COLUMNS} FROM plait_failures WHERE run_id = ? ORDER BY created_at, seq"
)
_INTERRUPTS = (
    f"SELECT {INTERRUPT_COLUMNS} FROM plait_interrupts WHERE run_id = ? ORDER BY created_at, seq"
)


def put_run(
    connection: sqlite3.Connection, record: RunRecord, lease: Lease | None, sealer: Sealer
) -> None:
    """Insert the run, or update its state when the stored one has the same fixed fields.

    Raises:
        StoreError: when the id is taken by a run with other fixed fields.
        LeaseLostError: when ``lease`` is no longer the run's.
    """
    with transaction(connection):
        fence(connection, lease, [record.run_id])
        if connection.execute(_GRAPH_KNOWN, (record.content_hash,)).fetchone() is None:
            packed = deflate(record.canonical)
            connection.execute(_PUT_GRAPH, graph_row(record.content_hash, packed, sealer))
        if connection.execute(_PUT_RUN, run_row(record, sealer)).rowcount == 0:
            raise run_exists(record.run_id)


def put_outputs(
    connection: sqlite3.Connection,
    records: Sequence[OutputRecord],
    lease: Lease | None,
    sealer: Sealer,
    *,
    now: bool = False,
) -> None:
    """Write the outputs (the last one of each node) in one transaction.

    ``now`` (a write on the event loop, which never waits): one fenced row is written by
    its statement alone, its own transaction, two statements fewer than ``BEGIN
    IMMEDIATE`` ... ``COMMIT``. The fence and the insert are one statement either way; a
    file another writer changed since the statement's snapshot fails it with
    ``SQLITE_BUSY`` (nothing written), and the caller writes in the thread instead.

    Raises:
        CorruptRecordError: when a record's checksum does not match its bytes.
        StoreError: when a record's run does not exist.
    """
    rows = [output_row(record, sealer) for record in last_per_node(records)]
    if lease is None:
        _insert(connection, _PUT_OUTPUT, rows, "store outputs", None)
    else:
        alone = now and len(rows) == 1
        _insert(connection, _PUT_OUTPUT_FENCED, rows, "store outputs", lease, fenced=True,
                alone=alone)  # fmt: skip


def put_failure(
    connection: sqlite3.Connection, record: FailureRecord, lease: Lease | None, sealer: Sealer
) -> None:
    """Append a failed attempt."""
    doing = f"record a failure of node `{record.node}`"
    _insert(connection, _PUT_FAILURE, [failure_row(record, sealer)], doing, lease)


def put_interrupt(
    connection: sqlite3.Connection, record: InterruptRecord, lease: Lease | None, sealer: Sealer
) -> None:
    """Record a question, or its answer in place (keeping its place and ``created_at``)."""
    doing = f"record an interrupt of node `{record.node}`"
    _insert(connection, _PUT_INTERRUPT, [interrupt_row(record, sealer)], doing, lease)


def put_journal(
    connection: sqlite3.Connection,
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
    rows = [journal_row(record, sealer) for record in journal_batch(run_id, records)]
    with transaction(connection):
        fence(connection, lease, [run_id])
        if connection.execute(_RUN_EXISTS, (run_id,)).fetchone() is None:
            raise no_such_run([run_id], "journal agent calls")
        connection.executemany(_DISCARD, [(run_id, node) for node in discard])
        connection.executemany(_PUT_CALL, rows)


def put_thread(
    connection: sqlite3.Connection, record: ThreadRecord, lease: Lease | None, sealer: Sealer
) -> None:
    """Append a turn, or replace the same thread, run and node's turn in place.

    Raises:
        CorruptRecordError: when the record's checksum does not match its bytes.
        StoreError: when the run does not exist.
    """
    row = thread_row(verified_turn(record), sealer)
    with transaction(connection):
        fence(connection, lease, [record.run_id])
        if connection.execute(_RUN_EXISTS, (record.run_id,)).fetchone() is None:
            raise no_such_run([record.run_id], f"append to thread `{record.thread_id}`")
        connection.execute(_PUT_TURN, row)


def load_thread(
    connection: sqlite3.Connection, thread_id: str, sealer: Sealer
) -> list[ThreadRecord]:
    """The thread's turns in append order, each checked against its checksum.

    Raises:
        CorruptRecordError: when a turn's bytes do not match its checksum.
    """
    rows = connection.execute(_THREAD, (thread_id,)).fetchall()
    return [thread_record(row, sealer) for row in rows]


def load(connection: sqlite3.Connection, run_id: str, sealer: Sealer) -> StoredRun | None:
    """The run and its records, read in one transaction, or None when there is no run.

    Raises:
        CorruptRecordError: when an output's bytes do not match its checksum.
    """
    connection.execute("BEGIN")
    try:
        row = connection.execute(_GET_RUN, (run_id,)).fetchone()
        if row is None:
            return None
        outputs = (output_record(row, sealer) for row in connection.execute(_OUTPUTS, (run_id,)))
        return StoredRun(
            run_record(row, sealer),
            {record.node: record for record in outputs},
            [failure_record(row, sealer) for row in connection.execute(_FAILURES, (run_id,))],
            [interrupt_record(row, sealer) for row in connection.execute(_INTERRUPTS, (run_id,))],
            [journal_record(row, sealer) for row in connection.execute(_JOURNAL, (run_id,))],
            load_by_run(connection, run_id, sealer),
        )
    finally:
        connection.execute("COMMIT")


def list_runs(connection: sqlite3.Connection, limit: int, sealer: Sealer) -> list[RunRecord]:
    """The most recent runs (by ``created_at``, then creation order), newest first."""
    rows = connection.execute(_RECENT_RUNS, (max(limit, 0),))
    return [run_record(row, sealer) for row in rows]


def acquire(
    connection: sqlite3.Connection,
    run_id: str,
    owner: str,
    ttl: float,
    now: float,
    take_from: str | None,
) -> Lease:
    """Take, renew or take over the lease: the check and the write are one statement in
    one write transaction, so it is atomic across processes.

    Raises:
        RunLockedError: when another owner holds a lease that expires after ``now``.
    """
    with transaction(connection):
        rows = connection.execute(_ACQUIRE, (run_id, owner, now + ttl, now, take_from)).fetchall()
        if not rows:
            holder, expires_at = connection.execute(
                "SELECT owner, expires_at FROM plait_leases WHERE run_id = ?", (run_id,)
            ).fetchone()
            raise RunLockedError(run_id, holder, expires_at - now)
    return Lease(run_id, owner, int(rows[0][0]), now + ttl)


def renew(connection: sqlite3.Connection, lease: Lease, ttl: float, now: float) -> Lease:
    """Extend ``lease`` when it is still the stored one.

    Raises:
        LeaseLostError: when it was taken over or given up.
    """
    with transaction(connection):
        fence(connection, lease, [])
        connection.execute(_RENEW, (now + ttl, lease.run_id, lease.owner, lease.token))
    return Lease(lease.run_id, lease.owner, lease.token, now + ttl)


def release(connection: sqlite3.Connection, run_id: str, owner: str) -> None:
    """Mark the lease released if ``owner`` holds it (its token stays)."""
    with transaction(connection):
        connection.execute(
            "UPDATE plait_leases SET owner = ?, expires_at = 0 WHERE run_id = ? AND owner = ?",
            (RELEASED, run_id, owner),
        )


def leases(connection: sqlite3.Connection, run_ids: Sequence[str]) -> dict[str, Lease]:
    """The held (not released) leases of ``run_ids``."""
    found: dict[str, Lease] = {}
    for start in range(0, len(run_ids), 500):  # SQLite's limit on bound parameters
        chunk = list(run_ids[start : start + 500])
        rows = connection.execute(
            "SELECT run_id, owner, token, expires_at FROM plait_leases WHERE owner != ? "
            f"AND run_id IN ({', '.join('?' * len(chunk))})",
            (RELEASED, *chunk),
        )
        found.update({row[0]: Lease(row[0], row[1], int(row[2]), row[3]) for row in rows})
    return found


def _insert(
    connection: sqlite3.Connection,
    statement: str,
    rows: Sequence[Row],
    doing: str,
    lease: Lease | None,
    *,
    fenced: bool = False,
    alone: bool = False,
) -> None:
    """Write ``rows`` in one transaction (fenced by ``lease``: by a SELECT first, or by
    the ``statement`` itself when ``fenced``; ``alone``: one fenced row, its statement its
    own transaction); a row of a missing run is refused by name."""
    if not rows:
        return
    try:
        if alone and lease is not None:  # one fenced row
            fenced_insert(connection, lease, statement, rows)
            return
        with transaction(connection):
            if fenced and lease is not None:
                fenced_insert(connection, lease, statement, rows)
            else:
                fence(connection, lease, [str(row[0]) for row in rows])
                connection.executemany(statement, rows)
    except sqlite3.IntegrityError:
        asked = {str(row[0]) for row in rows}
        found = connection.execute(
            f"SELECT run_id FROM plait_runs WHERE run_id IN ({', '.join('?' * len(asked))})",
            tuple(asked),
        ).fetchall()
        missing = asked - {row[0] for row in found}
        if not missing:
            raise
        raise no_such_run(missing, doing) from None
