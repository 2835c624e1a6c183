"""The SQLite store: one file in WAL mode, one connection, blocking calls in a worker thread."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import anyio
import anyio.to_thread

from plait.engine.stores import _sqlite_schema as schema
from plait.engine.stores._checks import checksum, last_per_node, no_such_run, run_exists, verified
from plait.engine.stores._protocol import (
    FailureRecord,
    InterruptRecord,
    OutputRecord,
    RunLockedError,
    RunRecord,
    StoredStatus,
    StoreError,
)
from plait.engine.stores._rows import (
    FAILURE_COLUMNS,
    INTERRUPT_COLUMNS,
    OUTPUT_COLUMNS,
    RUN_COLUMNS,
    Row,
    failure_record,
    failure_row,
    interrupt_record,
    interrupt_row,
    output_row,
    run_record,
    run_row,
)
from plait.engine.stores._sqlite_schema import transaction

__all__ = ["SYNCHRONOUS_MODES", "SQLiteStore"]

T = TypeVar("T")

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
"""SQLite's ``synchronous`` settings; ``FULL`` makes a commit survive a power cut."""

_PUT_OUTPUT = f"""
    INSERT INTO plait_outputs ({OUTPUT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, node) DO UPDATE SET
        attempt = excluded.attempt, data = excluded.data,
        checksum = excluded.checksum, created_at = excluded.created_at
"""
_PUT_FAILURE = f"INSERT INTO plait_failures ({FAILURE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
_PUT_INTERRUPT = f"""
    INSERT INTO plait_interrupts ({INTERRUPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, node, key) DO UPDATE SET
        question = excluded.question, answer_schema = excluded.answer_schema,
        answer = excluded.answer
"""
_ACQUIRE = """
    INSERT INTO plait_leases (run_id, owner, expires_at) VALUES (?, ?, ?)
    ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
    WHERE plait_leases.owner = excluded.owner OR plait_leases.expires_at <= ?
"""


class SQLiteStore:
    """A ``Store`` in one SQLite file (WAL), safe across processes sharing that file.

    Every call runs in a worker thread (``anyio.to_thread``) on the store's one
    connection, one call at a time. ``synchronous`` is SQLite's setting: ``FULL`` (the
    default) makes each commit survive a power cut; ``NORMAL`` survives a crash of the
    process but may lose the last commits on a power cut, and commits faster.
    ``busy_timeout`` is how long a write waits for another process's write to finish.
    The file's directory is created when missing.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "FULL",
        busy_timeout: float = 5.0,
    ) -> None:
        if synchronous.upper() not in SYNCHRONOUS_MODES:
            expected = ", ".join(SYNCHRONOUS_MODES)
            raise StoreError(f"SQLite synchronous={synchronous!r}: expected one of {expected}")
        self.path = Path(path)
        self.synchronous = synchronous.upper()
        self.busy_timeout = busy_timeout
        self._where = f"SQLite store {self.path}"
        self._connection: sqlite3.Connection | None = None
        self._lock: anyio.Lock | None = None

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r}, synchronous={self.synchronous!r})"

    async def __aenter__(self) -> SQLiteStore:
        await self.open()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Open the file (creating it and its tables when new) and check its schema.

        Raises:
            StoreError: when the file cannot be opened, is not an SQLite database, or holds
                a schema other than ``SCHEMA_VERSION`` (newer: upgrade plait; older: run
                ``migrate()``).
        """
        if self._connection is not None:
            return
        self._connection = await anyio.to_thread.run_sync(self._connect, True)
        self._lock = anyio.Lock()

    async def close(self) -> None:
        """Close the connection (the file keeps everything); ``open()`` works again."""
        connection, lock = self._connection, self._lock
        if connection is None or lock is None:
            return
        async with lock:
            self._connection = self._lock = None
            await anyio.to_thread.run_sync(connection.close)

    async def migrate(self) -> int:
        """Bring the file's schema up to ``SCHEMA_VERSION``; returns the version it now has.

        Works on a closed store too: it is how to open a file that ``open()`` refuses as
        too old. Back the file up first: migrations change it in place.

        Raises:
            StoreError: when the schema is newer than this plait's, or no migration leads
                from the stored version to the current one.
        """

        def run(connection: sqlite3.Connection) -> int:
            return schema.migrate(connection, self._where)

        if self._connection is not None:
            return await self._call(run, "migrate the schema")
        connection = await anyio.to_thread.run_sync(self._connect, False)
        try:
            return await anyio.to_thread.run_sync(self._guarded, run, connection, "migrate")
        finally:
            await anyio.to_thread.run_sync(connection.close)

    async def create_run(self, record: RunRecord) -> None:
        """Record a new run.

        Raises:
            StoreError: when the run id already exists.
        """
        row = run_row(record)

        def create(connection: sqlite3.Connection) -> None:
            try:
                with transaction(connection):
                    connection.execute(
                        f"INSERT INTO plait_runs ({RUN_COLUMNS}) VALUES ({_marks(row)})", row
                    )
            except sqlite3.IntegrityError:
                raise run_exists(record.run_id) from None

        await self._call(create, f"create run {record.run_id}")

    async def set_status(
        self, run_id: str, status: StoredStatus, at: float, error: str | None = None
    ) -> None:
        """Update a run's status, error and ``updated_at``.

        Raises:
            StoreError: when there is no such run.
        """
        values = (StoredStatus(status).value, at, error, run_id)

        def update(connection: sqlite3.Connection) -> None:
            with transaction(connection):
                cursor = connection.execute(
                    "UPDATE plait_runs SET status = ?, updated_at = ?, error = ? WHERE run_id = ?",
                    values,
                )
                if cursor.rowcount == 0:
                    raise no_such_run([run_id], "set the status")

        await self._call(update, f"set the status of run {run_id}")

    async def get_run(self, run_id: str) -> RunRecord | None:
        """The run, or None when there is no such run."""
        query = f"SELECT {RUN_COLUMNS} FROM plait_runs WHERE run_id = ?"

        def get(connection: sqlite3.Connection) -> RunRecord | None:
            row = connection.execute(query, (run_id,)).fetchone()
            return None if row is None else run_record(row)

        return await self._call(get, f"read run {run_id}")

    async def list_runs(self, limit: int = 50) -> Sequence[RunRecord]:
        """The most recent runs (by ``created_at``, then creation order), newest first."""
        query = f"SELECT {RUN_COLUMNS} FROM plait_runs ORDER BY created_at DESC, seq DESC LIMIT ?"

        def recent(connection: sqlite3.Connection) -> list[RunRecord]:
            return [run_record(row) for row in connection.execute(query, (max(limit, 0),))]

        return await self._call(recent, "list runs")

    async def put_output(
        self, run_id: str, node: str, attempt: int, data: bytes, at: float
    ) -> None:
        """Commit one node's output, replacing an earlier one for the same node.

        Raises:
            StoreError: when there is no such run.
        """

        def put(connection: sqlite3.Connection) -> None:
            row = (run_id, node, attempt, data, checksum(data), at)
            _insert(connection, _PUT_OUTPUT, [row], "store an output")

        await self._call(put, f"store the output of node `{node}` of run {run_id}")

    async def put_outputs(self, records: Sequence[OutputRecord]) -> None:
        """Commit several outputs in one transaction: all of them, or none.

        Raises:
            CorruptRecordError: when a record's checksum does not match its bytes.
            StoreError: when a record's run does not exist.
        """

        def put(connection: sqlite3.Connection) -> None:
            rows = [output_row(record) for record in last_per_node(records)]
            _insert(connection, _PUT_OUTPUT, rows, "store outputs")

        if records:
            await self._call(put, f"store {len(records)} outputs")

    async def outputs(self, run_id: str) -> dict[str, OutputRecord]:
        """Every committed output of a run, by node path, in commit order.

        Raises:
            CorruptRecordError: when a record's bytes do not match its checksum.
        """
        query = (
            f"SELECT {OUTPUT_COLUMNS} FROM plait_outputs WHERE run_id = ? ORDER BY created_at, node"
        )

        def read(connection: sqlite3.Connection) -> dict[str, OutputRecord]:
            records = (OutputRecord(*row) for row in connection.execute(query, (run_id,)))
            return {record.node: verified(record) for record in records}

        return await self._call(read, f"read the outputs of run {run_id}")

    async def put_failure(self, record: FailureRecord) -> None:
        """Record a failed attempt.

        Raises:
            StoreError: when there is no such run.
        """
        rows = [failure_row(record)]

        def put(connection: sqlite3.Connection) -> None:
            _insert(connection, _PUT_FAILURE, rows, f"record a failure of node `{record.node}`")

        await self._call(put, f"record a failure of node `{record.node}`")

    async def failures(self, run_id: str) -> Sequence[FailureRecord]:
        """A run's failed attempts, oldest first (by ``created_at``, then recording order)."""
        query = (
            f"SELECT {FAILURE_COLUMNS} FROM plait_failures WHERE run_id = ? "
            "ORDER BY created_at, seq"
        )

        def read(connection: sqlite3.Connection) -> list[FailureRecord]:
            return [failure_record(row) for row in connection.execute(query, (run_id,))]

        return await self._call(read, f"read the failures of run {run_id}")

    async def put_interrupt(self, record: InterruptRecord) -> None:
        """Record a question, or update it (its answer) for the same node and key.

        An update keeps the question's place and ``created_at``.

        Raises:
            StoreError: when there is no such run.
        """
        rows = [interrupt_row(record)]
        doing = f"record an interrupt of node `{record.node}`"

        def put(connection: sqlite3.Connection) -> None:
            _insert(connection, _PUT_INTERRUPT, rows, doing)

        await self._call(put, doing)

    async def interrupts(self, run_id: str) -> Sequence[InterruptRecord]:
        """A run's interrupts, oldest first (by ``created_at``, then recording order)."""
        query = (
            f"SELECT {INTERRUPT_COLUMNS} FROM plait_interrupts WHERE run_id = ? "
            "ORDER BY created_at, seq"
        )

        def read(connection: sqlite3.Connection) -> list[InterruptRecord]:
            return [interrupt_record(row) for row in connection.execute(query, (run_id,))]

        return await self._call(read, f"read the interrupts of run {run_id}")

    async def acquire(self, run_id: str, owner: str, ttl: float, now: float) -> None:
        """Take the run's lease for ``ttl`` seconds, or renew it if ``owner`` holds it.

        Atomic across processes: the check and the write are one statement in one write
        transaction.

        Raises:
            RunLockedError: when another owner holds a lease that expires after ``now``.
        """

        def take(connection: sqlite3.Connection) -> None:
            with transaction(connection):
                cursor = connection.execute(_ACQUIRE, (run_id, owner, now + ttl, now))
                if cursor.rowcount == 0:
                    holder, expires_at = connection.execute(
                        "SELECT owner, expires_at FROM plait_leases WHERE run_id = ?", (run_id,)
                    ).fetchone()
                    raise RunLockedError(run_id, holder, expires_at - now)

        await self._call(take, f"take the lease of run {run_id}")

    async def release(self, run_id: str, owner: str) -> None:
        """Give the lease back (no-op when ``owner`` does not hold it)."""

        def give_back(connection: sqlite3.Connection) -> None:
            with transaction(connection):
                connection.execute(
                    "DELETE FROM plait_leases WHERE run_id = ? AND owner = ?", (run_id, owner)
                )

        await self._call(give_back, f"release the lease of run {run_id}")

    async def _call(self, function: Callable[[sqlite3.Connection], T], doing: str) -> T:
        if self._lock is None:
            raise StoreError(f"{self._where}: cannot {doing}: the store is not open")
        async with self._lock:
            connection = self._connection
            if connection is None:
                raise StoreError(f"{self._where}: cannot {doing}: the store was closed")
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
            raise StoreError(f"{self._where}: cannot {doing}: {error}") from error

    def _connect(self, check: bool) -> sqlite3.Connection:
        """A connection with the store's settings; with ``check``, a current schema."""
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"{self._where}: cannot open the file: {error}") from error
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(f"PRAGMA synchronous = {self.synchronous}")
            if check:
                schema.create_or_check(connection, self._where)
        except sqlite3.Error as error:
            connection.close()
            raise StoreError(f"{self._where}: cannot open the database: {error}") from error
        except BaseException:
            connection.close()
            raise
        return connection


def _marks(row: Row) -> str:
    return ", ".join("?" * len(row))


def _insert(
    connection: sqlite3.Connection, statement: str, rows: Sequence[Row], doing: str
) -> None:
    """Write ``rows`` in one transaction; a row of a missing run is refused by name."""
    try:
        with transaction(connection):
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
