"""Fencing a PostgreSQL write: the lease a writer holds must still be the run's."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from plait.engine.stores._checks import check_fence
from plait.engine.stores._lease import Lease

if TYPE_CHECKING:
    from psycopg import AsyncConnection

    Connection = AsyncConnection[Any]

__all__ = ["fence"]

_HELD = "SELECT owner, token FROM plait_leases WHERE run_id = %s FOR SHARE"


async def fence(connection: Connection, lease: Lease | None, run_ids: Collection[str]) -> None:
    """Inside a transaction: lock the run's lease row (``FOR SHARE``: a takeover waits for
    this write to end) and refuse the write unless ``lease`` is still the run's."""
    if lease is not None:
        held = await (await connection.execute(_HELD, (lease.run_id,))).fetchone()
        check_fence(lease, None if held is None else (held[0], int(held[1])), run_ids)
