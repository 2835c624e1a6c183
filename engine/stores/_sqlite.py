"""The SQLite store: one file in WAL mode, one connection, blocking calls in a worker thread."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from plait.engine.stores import _sqlite_queries as queries
from plait.engine.stores import _sqlite_schema as schema
from plait.engine.stores import _sqlite_shared as shared_queries
from plait.engine.stores._protocol import (
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    Lease,
    OutputRecord,
    RunRecord,
    SharedRecord,
    StoredRun,
    ThreadRecord,
)
from plait.engine.stores._seal import Sealer
from plait.engine.stores._sqlite_connection import (
    CHECKPOINT_PAGES,
    SYNCHRONOUS_MODES,
    SQLiteConnection,
)

__all__ = ["CHECKPOINT_PAGES", "INLINE_BYTES", "INLINE_RECORDS", "SYNCHRONOUS_MODES", "SQLiteStore"]

INLINE_RECORDS = 32
"""At most this many outputs commit on the event loop (a batch of more goes to the thread)."""
INLINE_BYTES = 64 * 1024
"""At most this many bytes of outputs commit on the event loop."""


class SQLiteStore:
    """A ``Store`` in one SQLite file (WAL), safe across processes sharing that file.

    Every call runs in a worker thread (``anyio.to_thread``) on the store's one
    connection, one call at a time, except, with ``inline`` (the default), a small write
    (a few outputs, or a failure) made while the connection is free: it commits on the
    event loop, saving the thread hop, and goes to the thread when the file is locked by
    another writer (docs/adr-024-record-format.md says what that blocks). ``synchronous``
    is SQLite's setting: ``FULL`` (the default) makes each commit survive a power cut;
    ``NORMAL`` survives a crash of the process but may lose the last commits on a power
    cut, and commits faster.
    ``busy_timeout`` is how long a write waits for another process's write to finish.
    The file's directory is created when missing. ``key`` seals every record with a keyed
    BLAKE2b (default: ``PLAIT_STORE_KEY``, none when unset), so a record edited without
    the key fails its check (docs/adr-024-record-format.md). The WAL is checkpointed in
    the worker thread, never by a commit, when it has grown by ``checkpoint_pages`` pages.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "FULL",
        busy_timeout: float = 5.0,
        key: bytes | str | None = None,
        inline: bool = True,
        checkpoint_pages: int = CHECKPOINT_PAGES,
    ) -> None:
        self.inline = inline
        self._sealer = Sealer(key)
        self._connection = SQLiteConnection(
            Path(path),
            synchronous=synchronous,
            busy_timeout=busy_timeout,
            sealer=self._sealer,
            checkpoint_pages=checkpoint_pages,
        )
        self.path = self._connection.path
        self.synchronous = self._connection.synchronous
        self.busy_timeout = busy_timeout

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
        await self._connection.open()

    async def close(self) -> None:
        """Close the connection (the file keeps everything); ``open()`` works again."""
        await self._connection.close()

    async def migrate(self) -> int:
        """Bring the file's schema up to ``SCHEMA_VERSION``; returns the version it now has.

        Works on a closed store too: it is how to open a file that ``open()`` refuses as
        too old. Back the file up first: migrations change it in place.

        Raises:
            StoreError: when the schema is newer than this plait's, or no migration leads
                from the stored version to the current one.
        """
        where = self._connection.where

        def run(connection: sqlite3.Connection) -> int:
            return schema.migrate(connection, where, self._sealer)

        return await self._connection.call_unchecked(run, "migrate the schema")

    async def put_run(self, record: RunRecord, *, lease: Lease | None = None) -> None:
        """Record a new run, or a new status, error and ``updated_at`` of a stored one.

        Raises:
            StoreError: when the id is taken by a run with other fixed fields.
        """
        await self._connection.call(
            lambda connection: queries.put_run(connection, record, lease, self._sealer),
            f"store run {record.run_id}",
        )

    async def put_outputs(
        self,
        records: Sequence[OutputRecord],
        shared: Sequence[SharedRecord] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        """Commit outputs, and the nodes' shared memory writes, in one transaction: all
        of them, or none.

        Raises:
            CorruptRecordError: when a record's checksum does not match its bytes.
            StoreError: when a record's run does not exist.
        """
        if shared:
            await self._connection.call(
                lambda connection: shared_queries.put_outputs_and_shared(
                    connection, records, shared, lease, self._sealer
                ),
                f"store {len(records)} outputs and {len(shared)} shared memory writes",
            )
        elif records:
            small = self.inline and _small(records)
            await (self._connection.write if small else self._connection.call)(
                lambda connection: queries.put_outputs(connection, records, lease, self._sealer),
                f"store {len(records)} outputs",
            )

    def put_outputs_now(
        self, records: Sequence[OutputRecord], *, lease: Lease | None = None
    ) -> bool:
        """Commit outputs on the caller's thread (the event loop) when that waits for
        nothing (``WritesNow``); False, nothing written, when it would have to.

        Raises:
            CorruptRecordError: when a record's checksum does not match its bytes.
            StoreError: when a record's run does not exist, or SQLite fails.
        """
        if not (self.inline and _small(records)):
            return False
        return self._connection.write_now(
            lambda connection: queries.put_outputs(
                connection, records, lease, self._sealer, now=True
            ),
            "store outputs",
        )[0]

    async def put_failure(self, record: FailureRecord, *, lease: Lease | None = None) -> None:
        """Append a failed attempt.

        Raises:
            StoreError: when there is no such run.
        """
        await (self._connection.write if self.inline else self._connection.call)(
            lambda connection: queries.put_failure(connection, record, lease, self._sealer),
            f"record a failure of node `{record.node}`",
        )

    async def put_interrupt(self, record: InterruptRecord, *, lease: Lease | None = None) -> None:
        """Record a question, or update it (its answer) for the same node and key.

        An update keeps the question's place and ``created_at``.

        Raises:
            StoreError: when there is no such run.
        """
        await self._connection.call(
            lambda connection: queries.put_interrupt(connection, record, lease, self._sealer),
            f"record an interrupt of node `{record.node}`",
        )

    async def put_journal(
        self,
        run_id: str,
        records: Sequence[JournalRecord],
        discard: Sequence[str] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        """Forget the journal of the ``discard`` nodes, then write ``records``, in one
        transaction (the last one of a node and index wins).

        Raises:
            CorruptRecordError: when a record's checksum does not match its bytes.
            StoreError: when a record is of another run, or the run does not exist.
        """
        if records or discard:
            await self._connection.call(
                lambda connection: queries.put_journal(
                    connection, run_id, records, discard, lease, self._sealer
                ),
                f"journal {len(records)} agent call(s) of run {run_id}",
            )

    async def put_thread(self, record: ThreadRecord, *, lease: Lease | None = None) -> None:
        """Append a turn to its thread, or replace the turn of the same thread, run and
        node in place (see ``Store.put_thread``).

        Raises:
            CorruptRecordError: when the record's checksum does not match its bytes.
            StoreError: when the run does not exist.
        """
        await self._connection.call(
            lambda connection: queries.put_thread(connection, record, lease, self._sealer),
            f"append to thread `{record.thread_id}` for node `{record.node}`",
        )

    async def load_thread(self, thread_id: str) -> Sequence[ThreadRecord]:
        """Thread ``thread_id``'s turns in append order (empty for an unknown thread).

        Raises:
            CorruptRecordError: when a turn's bytes do not match its checksum.
        """
        return await self._connection.call(
            lambda connection: queries.load_thread(connection, thread_id, self._sealer),
            f"read thread `{thread_id}`",
        )

    async def load_shared(self, scope: str, owner: str, key: str) -> SharedRecord | None:
        """The last committed write of a shared memory key, or None.

        Raises:
            CorruptRecordError: when its bytes do not match its checksum.
        """
        return await self._connection.call(
            lambda connection: shared_queries.load_shared(
                connection, scope, owner, key, self._sealer
            ),
            f"read shared key `{key}` (per {scope} {owner})",
        )

    async def load(self, run_id: str) -> StoredRun | None:
        """The run and its records (see ``StoredRun``), or None when there is no such run.

        Raises:
            CorruptRecordError: when an output's bytes do not match its checksum.
        """
        return await self._connection.call(
            lambda connection: queries.load(connection, run_id, self._sealer),
            f"read run {run_id}",
        )

    async def list_runs(self, limit: int = 50) -> Sequence[RunRecord]:
        """The most recent runs (by ``created_at``, then creation order), newest first."""
        return await self._connection.call(
            lambda connection: queries.list_runs(connection, limit, self._sealer), "list runs"
        )

    async def acquire(
        self, run_id: str, owner: str, ttl: float, now: float, *, take_from: str | None = None
    ) -> Lease:
        """Take the run's lease (a new token), renew it when ``owner`` holds it, or take it
        from ``take_from``; atomic across processes (one statement in one write
        transaction).

        Raises:
            RunLockedError: when another owner holds a lease that expires after ``now``.
        """
        return await self._connection.call(
            lambda connection: queries.acquire(connection, run_id, owner, ttl, now, take_from),
            f"take the lease of run {run_id}",
        )

    async def renew(self, lease: Lease, ttl: float, now: float) -> Lease:
        """Extend ``lease``, keeping its token.

        Raises:
            LeaseLostError: when the stored lease is no longer ``lease``.
        """
        return await self._connection.call(
            lambda connection: queries.renew(connection, lease, ttl, now),
            f"renew the lease of run {lease.run_id}",
        )

    async def release(self, run_id: str, owner: str) -> None:
        """Give the lease back (no-op when ``owner`` does not hold it); its token stays."""
        await self._connection.call(
            lambda connection: queries.release(connection, run_id, owner),
            f"release the lease of run {run_id}",
        )

    async def leases(self, run_ids: Sequence[str]) -> Mapping[str, Lease]:
        """The held leases of these runs (expired ones included, released ones not)."""
        return await self._connection.call(
            lambda connection: queries.leases(connection, run_ids), "read leases"
        )


def _small(records: Sequence[OutputRecord]) -> bool:
    """Whether a batch of outputs is small enough to commit on the event loop."""
    if len(records) == 1:  # a chain's commit
        return len(records[0].data) <= INLINE_BYTES
    if len(records) > INLINE_RECORDS:
        return False
    return sum(len(record.data) for record in records) <= INLINE_BYTES
