"""The SQLite store's one connection: opened with its settings, called in a worker thread
(or, for a small write while the connection is free, on the event loop: ``write_now``).

SQLite's automatic WAL checkpoints are off on this connection (they would run inside
whichever commit crosses the threshold, inline ones included, and write the database
file on the loop): the store checkpoints (PASSIVE) in the worker thread instead, when
the WAL has grown by ``CHECKPOINT_PAGES`` pages (``_sqlite_wal.py``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import anyio
import anyio.to_thread

from plait.engine.stores import _sqlite_schema as schema
from plait.engine.stores._protocol import StoreError
from plait.engine.stores._seal import Sealer, text_of
from plait.engine.stores._sqlite_wal import WalCheckpoints

__all__ = ["CHECKPOINT_PAGES", "SYNCHRONOUS_MODES", "SQLiteConnection"]

T = TypeVar("T")

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
"""SQLite's ``synchronous`` settings; ``FULL`` makes a commit survive a power cut."""

CHECKPOINT_PAGES = 1000
"""The store checkpoints the WAL (in the worker thread) when it grows by this many pages
(SQLite's own ``wal_autocheckpoint`` default, which the store turns off)."""


class SQLiteConnection:
    """One connection to one file (WAL), used by one call at a time in a worker thread.

    Every ``sqlite3.Error`` becomes a ``StoreError`` naming the file and what was being
    done. The file's directory is created when missing.
    """

    def __init__(
        self,
        path: Path,
        *,
        synchronous: str,
        busy_timeout: float,
        sealer: Sealer,
        checkpoint_pages: int = CHECKPOINT_PAGES,
    ) -> None:
        if synchronous.upper() not in SYNCHRONOUS_MODES:
            expected = ", ".join(SYNCHRONOUS_MODES)
            raise StoreError(f"SQLite synchronous={synchronous!r}: expected one of {expected}")
        self.path = path
        self.synchronous = synchronous.upper()
        self.busy_timeout = busy_timeout
        self.sealer = sealer
        self.where = f"SQLite store {path}"
        self._connection: sqlite3.Connection | None = None
        self._lock: anyio.Lock | None = None
        self._waits = True
        """Whether the connection's busy handler waits ``busy_timeout`` (the thread's
        calls) or fails at once (the inline writes, which must not stall the loop)."""
        self.wal = WalCheckpoints(path, checkpoint_pages)

    async def open(self) -> None:
        """Connect (creating the file and its tables when new) and check the schema.

        Raises:
            StoreError: when the file cannot be opened, is not an SQLite database, or holds
                a schema other than ``SCHEMA_VERSION``.
        """
        if self._connection is not None:
            return
        self._connection = await anyio.to_thread.run_sync(self._connect, True)
        self._lock = anyio.Lock()
        self._waits = True

    async def close(self) -> None:
        """Close the connection; ``open()`` works again."""
        connection, lock = self._connection, self._lock
        if connection is None or lock is None:
            return
        async with lock:
            self._connection = self._lock = None
            await anyio.to_thread.run_sync(connection.close)  # copies the WAL back
            self.wal.stop()

    async def call(self, function: Callable[[sqlite3.Connection], T], doing: str) -> T:
        """``function(connection)`` in a worker thread, after the calls before it.

        Raises:
            StoreError: when the connection is not open, or SQLite fails.
        """
        if self._lock is None:
            raise StoreError(f"{self.where}: cannot {doing}: the store is not open")
        async with self._lock:
            connection = self._connection
            if connection is None:
                raise StoreError(f"{self.where}: cannot {doing}: the store was closed")
            return await anyio.to_thread.run_sync(
                self._then_checkpoint, function, connection, doing
            )

    async def write(self, function: Callable[[sqlite3.Connection], T], doing: str) -> T:
        """A small write transaction: on the event loop when the connection is free
        (``write_now``), else like ``call``.

        Raises:
            StoreError: when the connection is not open, or SQLite fails.
        """
        done, result = self.write_now(function, doing)
        if done:
            return result  # type: ignore[return-value]  # done: ``function`` returned it
        return await self.call(function, doing)

    def write_now(
        self, function: Callable[[sqlite3.Connection], T], doing: str
    ) -> tuple[bool, T | None]:
        """``(True, function(connection))`` run on the caller's thread (the event loop),
        or ``(False, None)``, nothing written, when that would have to wait.

        It waits for nothing: not for a call in the worker thread (the connection is
        busy), nor for another connection's write lock (SQLite's busy handler is off for
        it, and a write that finds the file locked is rolled back whole), nor for a WAL
        checkpoint that is due (the thread runs it, after the write ``call`` makes). The
        policy and its cost: docs/adr-024-record-format.md.

        Raises:
            StoreError: when SQLite fails other than by finding the file locked.
        """
        connection, lock = self._connection, self._lock
        if connection is None or lock is None or lock.locked() or self.wal.due():
            return False, None
        try:
            return True, self._guarded(function, connection, doing, waits=False)
        except StoreError as error:
            cause = error.__cause__
            if not isinstance(cause, sqlite3.OperationalError) or not _busy(cause):
                raise
            return False, None

    async def call_unchecked(self, function: Callable[[sqlite3.Connection], T], doing: str) -> T:
        """Like ``call``, but on a connection of its own when closed, whatever its schema."""
        if self._connection is not None:
            return await self.call(function, doing)
        connection = await anyio.to_thread.run_sync(self._connect, False)
        try:
            return await anyio.to_thread.run_sync(self._guarded, function, connection, doing)
        finally:
            await anyio.to_thread.run_sync(connection.close)

    def _then_checkpoint(
        self,
        function: Callable[[sqlite3.Connection], T],
        connection: sqlite3.Connection,
        doing: str,
    ) -> T:
        """``function(connection)``, then a WAL checkpoint when one is due (in the thread)."""
        result = self._guarded(function, connection, doing)
        if connection is self._connection and self.wal.due():
            self.wal.run(connection)
        return result

    def _guarded(
        self,
        function: Callable[[sqlite3.Connection], T],
        connection: sqlite3.Connection,
        doing: str,
        *,
        waits: bool = True,
    ) -> T:
        try:
            if waits != self._waits and connection is self._connection:
                milliseconds = int(self.busy_timeout * 1000) if waits else 0
                connection.execute(f"PRAGMA busy_timeout = {milliseconds}")
                self._waits = waits
            return function(connection)
        except sqlite3.Error as error:
            raise StoreError(f"{self.where}: cannot {doing}: {error}") from error

    def _connect(self, check: bool) -> sqlite3.Connection:
        """A connection with the store's settings; with ``check``, a current schema."""
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"{self.where}: cannot open the file: {error}") from error
        connection.text_factory = text_of
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(f"PRAGMA synchronous = {self.synchronous}")
            if check:
                schema.create_or_check(connection, self.where, self.sealer)
                self.wal.start(connection)  # checkpoints in the thread, not in commits
        except sqlite3.Error as error:
            connection.close()
            raise StoreError(f"{self.where}: cannot open the database: {error}") from error
        except BaseException:
            connection.close()
            raise
        return connection


def _busy(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused for want of a lock another connection holds."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF  # SQLITE_BUSY_SNAPSHOT is SQLITE_BUSY
    return primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(error)
