"""The PostgreSQL store's shared run memory: its table (schema version 4) and statements."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from plait.engine.stores._checks import last_per_node, no_such_run, verified_shared
from plait.engine.stores._postgres_fence import fence
from plait.engine.stores._protocol import Lease, OutputRecord, SharedRecord
from plait.engine.stores._rows import (
    SHARED_COLUMNS,
    output_row,
    output_upsert,
    shared_record,
    shared_row,
)
from plait.engine.stores._seal import Sealer

if TYPE_CHECKING:
    from psycopg import AsyncConnection

    Connection = AsyncConnection[tuple[Any, ...]]

__all__ = ["SHARED_TABLE", "load_by_run", "load_shared", "put_outputs_and_shared"]

SHARED_TABLE = (
    """CREATE TABLE plait_shared (
        version BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        scope TEXT NOT NULL,
        owner TEXT NOT NULL,
        key TEXT NOT NULL,
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        data BYTEA NOT NULL,
        checksum BYTEA NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        UNIQUE (scope, owner, key, run_id, node)
    )""",
    "CREATE INDEX plait_shared_latest ON plait_shared (scope, owner, key, version)",
    "CREATE INDEX plait_shared_run ON plait_shared (run_id, version)",
)
"""Shared run memory, one row per node's write of a key (version 4; sealed since 6)."""

_COLUMNS = f"{SHARED_COLUMNS}, version"
_DELETE = """DELETE FROM plait_shared
    WHERE scope = %s AND owner = %s AND key = %s AND run_id = %s AND node = %s"""
_INSERT = f"INSERT INTO plait_shared ({SHARED_COLUMNS}) VALUES ({', '.join(['%s'] * 8)})"
_LATEST = f"""SELECT {_COLUMNS} FROM plait_shared
    WHERE scope = %s AND owner = %s AND key = %s ORDER BY version DESC LIMIT 1"""
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('plait_shared ' || %s, 0))"
_BY_RUN = f"SELECT {_COLUMNS} FROM plait_shared WHERE run_id = %s ORDER BY version"
_RUNS = "SELECT run_id FROM plait_runs WHERE run_id = ANY(%s) FOR SHARE"
_PUT_OUTPUT = output_upsert("%s")


async def put_outputs_and_shared(
    connection: Connection,
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
    kept = sorted(last_per_node(records), key=lambda record: (record.run_id, record.node))
    writes = [verified_shared(write) for write in shared]
    runs = sorted({record.run_id for record in kept} | {write.run_id for write in writes})
    async with connection.transaction():
        found = {row[0] for row in await (await connection.execute(_RUNS, (runs,))).fetchall()}
        missing = [run for run in runs if run not in found]
        if missing:
            raise no_such_run(missing, "store outputs")
        await fence(connection, lease, runs)
        async with connection.cursor() as cursor:
            if kept:
                await cursor.executemany(
                    _PUT_OUTPUT, [output_row(record, sealer) for record in kept]
                )
            for where in sorted({write.where_key for write in writes if write.update}):
                await cursor.execute(_LOCK, (json.dumps(where),))  # held until the commit
            for write in writes:
                if write.update is not None:  # read after the lock: sees the last commit
                    latest = await (await cursor.execute(_LATEST, write.where_key)).fetchone()
                    write = write.applied(None if latest is None else bytes(latest[5]))
                place = (write.scope, write.owner, write.key, write.run_id, write.node)
                await cursor.execute(_DELETE, place)
                await cursor.execute(_INSERT, shared_row(write, sealer))


async def load_shared(
    connection: Connection, scope: str, owner: str, key: str, sealer: Sealer
) -> SharedRecord | None:
    """The key's last committed write, checked against its seal, or None."""
    row = await (await connection.execute(_LATEST, (scope, owner, key))).fetchone()
    return None if row is None else shared_record(row, sealer)


async def load_by_run(connection: Connection, run_id: str, sealer: Sealer) -> list[SharedRecord]:
    """A run's writes, by version, each checked against its seal."""
    rows = await (await connection.execute(_BY_RUN, (run_id,))).fetchall()
    return [shared_record(row, sealer) for row in rows]
