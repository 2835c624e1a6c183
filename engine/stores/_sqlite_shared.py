"""The SQLite store's shared run memory: its table (schema version 4) and statements."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from plait.engine.stores._checks import last_per_node, no_such_run, verified_shared
from plait.engine.stores._protocol import Lease, OutputRecord, SharedRecord
from plait.engine.stores._rows import (
    SHARED_COLUMNS,
    output_row,
    output_upsert,
    shared_record,
    shared_row,
)
from plait.engine.stores._seal import Sealer
from plait.engine.stores._sqlite_fence import fence
from plait.engine.stores._sqlite_schema import transaction

__all__ = ["load_by_run", "load_shared", "put_outputs_and_shared"]


_COLUMNS = f"{SHARED_COLUMNS}, version"
_DELETE = """DELETE FROM plait_shared
    WHERE scope = ? AND owner = ? AND key = ? AND run_id = ? AND node = ?"""
_INSERT = f"INSERT INTO plait_shared ({SHARED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_LATEST = f"""SELECT {_COLUMNS} FROM plait_shared
    WHERE scope = ? AND owner = ? AND key = ? ORDER BY version DESC LIMIT 1"""
_BY_RUN = f"SELECT {_COLUMNS} FROM plait_shared WHERE run_id = ? ORDER BY version"
_RUN_EXISTS = "SELECT 1 FROM plait_runs WHERE run_id = ?"
_PUT_OUTPUT = output_upsert("?")


def put_outputs_and_shared(
    connection: sqlite3.Connection,
    records: Sequence[OutputRecord],
    shared: Sequence[SharedRecord],
    lease: Lease | None,
    sealer: Sealer,
) -> None:
    """Write outputs and shared memory writes in one transaction (each write replaces the
    same node's write of the key and takes a new version).

    Raises:
        CorruptRecordError: when a record's checksum does not match its bytes.
        StoreError: when a record's run does not exist.
    """
    rows = [output_row(record, sealer) for record in last_per_node(records)]
    writes = [verified_shared(write) for write in shared]
    with transaction(connection):
        runs = sorted({str(row[0]) for row in rows} | {write.run_id for write in writes})
        missing = [run for run in runs if not connection.execute(_RUN_EXISTS, (run,)).fetchone()]
        if missing:
            raise no_such_run(missing, "store outputs")
        fence(connection, lease, runs)
        connection.executemany(_PUT_OUTPUT, rows)
        for write in writes:
            if write.update is not None:  # BEGIN IMMEDIATE holds the write lock: atomic
                latest = connection.execute(_LATEST, write.where_key).fetchone()
                write = write.applied(None if latest is None else bytes(latest[5]))
            place = (write.scope, write.owner, write.key, write.run_id, write.node)
            connection.execute(_DELETE, place)
            connection.execute(_INSERT, shared_row(write, sealer))


def load_shared(
    connection: sqlite3.Connection, scope: str, owner: str, key: str, sealer: Sealer
) -> SharedRecord | None:
    """The key's last committed write, checked against its seal, or None."""
    row = connection.execute(_LATEST, (scope, owner, key)).fetchone()
    return None if row is None else shared_record(row, sealer)


def load_by_run(connection: sqlite3.Connection, run_id: str, sealer: Sealer) -> list[SharedRecord]:
    """A run's writes, by version, each checked against its seal."""
    return [shared_record(row, sealer) for row in connection.execute(_BY_RUN, (run_id,))]
