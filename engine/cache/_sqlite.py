"""The SQLite result cache: one table, ``plait_cache``, in a file (the run store's by default).

It keeps its own connection, in a worker thread, and its own table; the store's schema
version does not cover it, so a cache and a store can share a file without migrations.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import anyio
import anyio.to_thread

from plait.engine.cache._protocol import CacheEntry
from plait.engine.stores._protocol import StoreError
from plait.engine.stores._sqlite_connection import SYNCHRONOUS_MODES

__all__ = ["SQLiteCache"]

T = TypeVar("T")

_TABLE = """CREATE TABLE IF NOT EXISTS plait_cache (
    key TEXT PRIMARY KEY,
    graph TEXT NOT NULL,
    node TEXT NOT NULL,
    data BLOB NOT NULL,
    checksum TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL
)"""
_INDEX = "CREATE INDEX IF NOT EXISTS plait_cache_graph ON plait_cache (graph)"
_GET = """SELECT key, graph, node, data, checksum, created_at, expires_at FROM plait_cache
    WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)"""
_PUT = """INSERT INTO plait_cache (key, graph, node, data, checksum, created_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET graph = excluded.graph, node = excluded.node,
        data = excluded.data, checksum = excluded.checksum,
        created_at = excluded.created_at, expires_at = excluded.expires_at"""


class SQLiteCache:
    """Entries in ``path`` (created with its directory when missing), WAL mode.

    ``synchronous`` defaults to ``NORMAL``: a cache entry lost to a power cut is only a
    miss, so commits need not wait for the disk.
    """

    def __init__(
        self, path: str | Path, *, synchronous: str = "NORMAL", busy_timeout: float = 5.0
    ) -> None:
        if synchronous.upper() not in SYNCHRONOUS_MODES:
            expected = ", ".join(SYNCHRONOUS_MODES)
            raise StoreError(f"SQLite synchronous={synchronous!r}: expected one of {expected}")
        self.path = Path(path)
        self.synchronous = synchronous.upper()
        self.busy_timeout = busy_timeout
        self.where = f"SQLite cache {self.path}"
        self._connection: sqlite3.Connection | None = None
        self._lock = anyio.Lock()

    async def open(self) -> None:
        """Connect, creating the file and the table when new.

        Raises:
            StoreError: when the file cannot be opened or is not an SQLite database.
        """
        if self._connection is None:
            self._connection = await anyio.to_thread.run_sync(self._connect)

    async def close(self) -> None:
        """Close the connection; ``open()`` works again."""
        async with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                await anyio.to_thread.run_sync(connection.close)

    async def get(self, key: str, now: float) -> CacheEntry | None:
        """The entry under ``key`` if it has not expired at ``now``."""

        def select(connection: sqlite3.Connection) -> CacheEntry | None:
            row = connection.execute(_GET, (key, now)).fetchone()
            return None if row is None else CacheEntry(*row)

        return await self._call(select, f"read cache entry {key[:12]}")

    async def put(self, entry: CacheEntry) -> None:
        """Keep ``entry``, replacing any entry under its key."""
        values = (entry.key, entry.graph, entry.node, entry.data, entry.checksum)
        row = (*values, entry.created_at, entry.expires_at)

        def insert(connection: sqlite3.Connection) -> None:
            connection.execute(_PUT, row)

        await self._call(insert, f"write the cache entry of node `{entry.node}`")

    async def clear(self, graph: str | None = None) -> int:
        """Remove every entry (of ``graph`` only, when given); how many were removed."""

        def delete(connection: sqlite3.Connection) -> int:
            if graph is None:
                return connection.execute("DELETE FROM plait_cache").rowcount
            return connection.execute("DELETE FROM plait_cache WHERE graph = ?", (graph,)).rowcount

        return await self._call(delete, "clear the cache")

    async def _call(self, function: Callable[[sqlite3.Connection], T], doing: str) -> T:
        async with self._lock:
            connection = self._connection
            if connection is None:
                raise StoreError(f"{self.where}: cannot {doing}: the cache is not open")
            return await anyio.to_thread.run_sync(self._guarded, function, connection, doing)

    def _guarded(
        self,
        function: Callable[[sqlite3.Connection], T],
        connection: sqlite3.Connection,
        doing: str,
    ) -> T:
        try:
            return function(connection)
        except sqlite3.Error as error:
            raise StoreError(f"{self.where}: cannot {doing}: {error}") from error

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"{self.where}: cannot open the file: {error}") from error
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(f"PRAGMA synchronous = {self.synchronous}")
            connection.execute(_TABLE)
            connection.execute(_INDEX)
        except sqlite3.Error as error:
            connection.close()
            raise StoreError(f"{self.where}: cannot open the database: {error}") from error
        return connection
