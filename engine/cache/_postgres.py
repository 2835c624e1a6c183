"""The PostgreSQL result cache: table ``plait_cache`` in a database (the store's by default).

Its connections are the store's kind (``engine.stores``' one psycopg module), opened with
the cache's own table instead of the store's schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plait.engine.cache._protocol import CacheEntry
from plait.engine.stores._postgres_connection import PostgresConnection, describe

if TYPE_CHECKING:
    from psycopg import AsyncConnection

    Connection = AsyncConnection[tuple[Any, ...]]

__all__ = ["PostgresCache"]

_TABLE = """CREATE TABLE IF NOT EXISTS plait_cache (
    key TEXT PRIMARY KEY,
    graph TEXT NOT NULL,
    node TEXT NOT NULL,
    data BYTEA NOT NULL,
    checksum TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION
)"""
_INDEX = "CREATE INDEX IF NOT EXISTS plait_cache_graph ON plait_cache (graph)"
_LOCK = "SELECT pg_advisory_xact_lock(7082138618163651173)"
"""Held while creating the table, so processes opening one database at once do not race."""
_GET = """SELECT key, graph, node, data, checksum, created_at, expires_at FROM plait_cache
    WHERE key = %s AND (expires_at IS NULL OR expires_at > %s)"""
_PUT = """INSERT INTO plait_cache (key, graph, node, data, checksum, created_at, expires_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (key) DO UPDATE SET graph = excluded.graph, node = excluded.node,
        data = excluded.data, checksum = excluded.checksum,
        created_at = excluded.created_at, expires_at = excluded.expires_at"""


async def _create(connection: Connection, where: str) -> None:
    async with connection.transaction():
        await connection.execute(_LOCK)
        await connection.execute(_TABLE)
        await connection.execute(_INDEX)


class PostgresCache:
    """Entries in a PostgreSQL database, shared by every process that opens it.

    Needs asyncio (psycopg's async driver does not run on trio).
    """

    def __init__(self, conninfo: str, *, max_size: int = 4, timeout: float = 10.0) -> None:
        self.conninfo = conninfo
        self._connection = PostgresConnection(
            conninfo, min_size=1, max_size=max_size, timeout=timeout, prepare=_create
        )
        self._connection.where = f"PostgreSQL cache {describe(conninfo)}"

    def __repr__(self) -> str:
        return f"PostgresCache({describe(self.conninfo)!r})"

    async def open(self) -> None:
        """Connect, creating the table when new.

        Raises:
            StoreError: when psycopg is missing, the loop is not asyncio, or the server
                cannot be reached.
        """
        await self._connection.open()

    async def close(self) -> None:
        """Close the connections; ``open()`` works again."""
        await self._connection.close()

    async def get(self, key: str, now: float) -> CacheEntry | None:
        """The entry under ``key`` if it has not expired at ``now``."""

        async def select(connection: Connection) -> CacheEntry | None:
            cursor = await connection.execute(_GET, (key, now))
            row = await cursor.fetchone()
            if row is None:
                return None
            found, graph, node, data, digest, created, expires = row
            return CacheEntry(found, graph, node, bytes(data), digest, created, expires)

        return await self._connection.call(select, f"read cache entry {key[:12]}")

    async def put(self, entry: CacheEntry) -> None:
        """Keep ``entry``, replacing any entry under its key."""
        values = (entry.key, entry.graph, entry.node, entry.data, entry.checksum)
        row = (*values, entry.created_at, entry.expires_at)

        async def insert(connection: Connection) -> None:
            await connection.execute(_PUT, row)

        await self._connection.call(insert, f"write the cache entry of node `{entry.node}`")

    async def clear(self, graph: str | None = None) -> int:
        """Remove every entry (of ``graph`` only, when given); how many were removed."""

        async def delete(connection: Connection) -> int:
            if graph is None:
                cursor = await connection.execute("DELETE FROM plait_cache")
            else:
                cursor = await connection.execute(
                    "DELETE FROM plait_cache WHERE graph = %s", (graph,)
                )
            return max(cursor.rowcount, 0)

        return await self._connection.call(delete, "clear the cache")
