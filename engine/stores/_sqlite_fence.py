"""Fencing a SQLite write: the lease a writer holds must still be the run's."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from plait.engine.stores._checks import check_fence
from plait.engine.stores._lease import Lease

__all__ = ["fence"]

_HELD = "SELECT owner, token FROM plait_leases WHERE run_id = ?"


def fence(connection: sqlite3.Connection, lease: Lease | None, run_ids: Sequence[str]) -> None:
    """Inside a write transaction: refuse the write unless ``lease`` is still the run's."""
    if lease is not None:
        held = connection.execute(_HELD, (lease.run_id,)).fetchone()
        check_fence(lease, None if held is None else (held[0], int(held[1])), run_ids)
