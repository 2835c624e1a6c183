"""Fencing a SQLite write: the lease a writer holds must still be the run's."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from plait.engine.stores._checks import check_fence
from plait.engine.stores._lease import Lease
from plait.engine.stores._protocol import StoreError

__all__ = ["fence", "fenced_insert", "fenced_statement"]

_HELD = "SELECT owner, token FROM plait_leases WHERE run_id = ?"
_HOLDS = "EXISTS (SELECT 1 FROM plait_leases WHERE run_id = ? AND owner = ? AND token = ?)"


def fence(connection: sqlite3.Connection, lease: Lease | None, run_ids: Sequence[str]) -> None:
    """Inside a write transaction: refuse the write unless ``lease`` is still the run's."""
    if lease is not None:
        held = connection.execute(_HELD, (lease.run_id,)).fetchone()
        check_fence(lease, None if held is None else (held[0], int(held[1])), run_ids)


def fenced_statement(table: str, columns: str, count: int, conflict: str) -> str:
    """An upsert of one row that writes only while the lease (three more parameters
    after the row's: run id, owner, token) is the run's: the fence is in the statement,
    so a fenced write costs no statement more than an unfenced one (docs/adr-024)."""
    values = ", ".join("?" * count)
    return f"INSERT INTO {table} ({columns}) SELECT {values} WHERE {_HOLDS} {conflict}"


def fenced_insert(
    connection: sqlite3.Connection,
    lease: Lease,
    statement: str,
    rows: Sequence[tuple[object, ...]],
) -> None:
    """Inside a write transaction: ``statement`` (a ``fenced_statement``) for each row.

    Each row writes only if the lease holds, checked by the statement itself in the
    transaction that writes; a row that did not write means the lease is lost, and the
    error (raised here) rolls the transaction back, so nothing of the batch lands.

    Raises:
        StoreError: when a row is of another run than the lease's.
        LeaseLostError: when the lease was taken over or given up.
    """
    guard = (lease.run_id, lease.owner, lease.token)
    if any(row[0] != lease.run_id for row in rows):
        check_fence(lease, (lease.owner, lease.token), [str(row[0]) for row in rows])
    if len(rows) == 1:  # a chain's commit: ``execute`` costs less than ``executemany``
        cursor = connection.execute(statement, (*rows[0], *guard))
    else:
        cursor = connection.executemany(statement, [(*row, *guard) for row in rows])
    if cursor.rowcount != len(rows):
        fence(connection, lease, [])  # raises LeaseLostError, naming who holds it now
        raise StoreError(f"run {lease.run_id}: {len(rows) - cursor.rowcount} row(s) not written")
