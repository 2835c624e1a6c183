"""The Redis store: redis-py's asyncio client, each write one atomic Lua script."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType

from plait.engine.stores import _redis_leases as lease_queries
from plait.engine.stores import _redis_queries as queries
from plait.engine.stores import _redis_reads as reads
from plait.engine.stores import _redis_shared as shared_writes
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
from plait.engine.stores._redis_connection import RedisConnection, describe
from plait.engine.stores._redis_records import Keys
from plait.engine.stores._seal import Sealer

__all__ = ["RedisStore"]


class RedisStore:
    """A ``Store`` in a Redis database, shared safely by any number of processes.

    ``url`` is a redis-py URL (``redis://[[user]:password@]host[:port][/db]``,
    ``rediss://`` for TLS). Every key starts with ``prefix`` and a colon, so several
    stores can share one database. Each write is one Lua script: its lease check (fence),
    its checks and its writes happen as one step. How much a crash can lose is Redis's
    persistence setting, not plait's: run it with ``appendonly yes`` and
    ``appendfsync always`` for the guarantees of the SQL stores (see the README).
    ``timeout`` bounds connecting and each command. Every record is sealed (ADR 024),
    keyed by ``key`` (None: ``PLAIT_STORE_KEY``; empty: no key); a database written
    with another key, or with one when none is given, is refused at ``open()``. Needs
    asyncio (redis-py's async client does not run on trio).
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "plait",
        max_connections: int = 16,
        timeout: float = 10.0,
        key: bytes | str | None = None,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self._keys = Keys(prefix)
        self._sealer = Sealer(key)
        self._connection = RedisConnection(
            url, schema_key=self._keys.schema, max_connections=max_connections, timeout=timeout
        )

    def __repr__(self) -> str:
        return f"RedisStore({describe(self.url)!r}, prefix={self.prefix!r})"

    async def __aenter__(self) -> RedisStore:
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
        """Connect; record the schema version in a new database, or check it.

        Raises:
            StoreError: when redis is not installed, the loop is not asyncio, the server
                cannot be reached, the schema is not ``SCHEMA_VERSION``, or the records
                were sealed with another key (or with one, and none is given).
        """
        await self._connection.open()
        try:
            await queries.check_key(self._connection, self._keys, self._sealer)
        except BaseException:
            await self._connection.close()
            raise

    async def close(self) -> None:
        """Close the connections; ``open()`` works again."""
        await self._connection.close()

    async def migrate(self) -> int:
        """Bring the database's schema up to ``SCHEMA_VERSION``; returns that version.

        Raises:
            StoreError: when the schema is newer than this plait's, or no migration leads
                from the stored version to the current one.
        """
        return await self._connection.migrate()

    async def put_run(self, record: RunRecord, *, lease: Lease | None = None) -> None:
        """Record a new run, or a new status, error and ``updated_at`` of a stored one.

        Raises:
            StoreError: when the id is taken by a run with other fixed fields.
        """
        await queries.put_run(self._connection, self._keys, self._sealer, record, lease)

    async def put_outputs(
        self,
        records: Sequence[OutputRecord],
        shared: Sequence[SharedRecord] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        """Commit outputs, and the nodes' shared memory writes, in one step: all of them,
        or none.

        Raises:
            CorruptRecordError: when a record's checksum does not match its bytes.
            StoreError: when a record's run does not exist.
        """
        await shared_writes.put_outputs(
            self._connection, self._keys, self._sealer, records, shared, lease
        )

    async def put_failure(self, record: FailureRecord, *, lease: Lease | None = None) -> None:
        """Append a failed attempt.

        Raises:
            StoreError: when there is no such run.
        """
        await queries.put_failure(self._connection, self._keys, self._sealer, record, lease)

    async def put_interrupt(self, record: InterruptRecord, *, lease: Lease | None = None) -> None:
        """Record a question, or update it (its answer) for the same node and key.

        Raises:
            StoreError: when there is no such run.
        """
        await queries.put_interrupt(self._connection, self._keys, self._sealer, record, lease)

    async def put_journal(
        self,
        run_id: str,
        records: Sequence[JournalRecord],
        discard: Sequence[str] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        """Forget the journal of the ``discard`` nodes, then write ``records``, in one step
        (the last one of a node and index wins).

        Raises:
            CorruptRecordError: when a record's checksum does not match its bytes.
            StoreError: when a record is of another run, or the run does not exist.
        """
        await queries.put_journal(
            self._connection, self._keys, self._sealer, run_id, records, discard, lease
        )

    async def put_thread(self, record: ThreadRecord, *, lease: Lease | None = None) -> None:
        """Append a turn to its thread, or replace the turn of the same thread, run and
        node in place (see ``Store.put_thread``).

        Raises:
            CorruptRecordError: when the record's checksum does not match its bytes.
            StoreError: when the run does not exist.
        """
        await queries.put_thread(self._connection, self._keys, self._sealer, record, lease)

    async def load_thread(self, thread_id: str) -> Sequence[ThreadRecord]:
        """Thread ``thread_id``'s turns in append order (empty for an unknown thread).

        Raises:
            CorruptRecordError: when a turn's bytes do not match its checksum.
        """
        return await reads.load_thread(self._connection, self._keys, self._sealer, thread_id)

    async def load_shared(self, scope: str, owner: str, key: str) -> SharedRecord | None:
        """The last committed write of a shared memory key, or None.

        Raises:
            CorruptRecordError: when its bytes do not match its checksum.
        """
        return await reads.load_shared(
            self._connection, self._keys, self._sealer, scope, owner, key
        )

    async def load(self, run_id: str) -> StoredRun | None:
        """The run and its records (see ``StoredRun``), or None when there is no such run.

        Raises:
            CorruptRecordError: when a record's bytes do not match its checksum.
        """
        return await reads.load(self._connection, self._keys, self._sealer, run_id)

    async def list_runs(self, limit: int = 50) -> Sequence[RunRecord]:
        """The most recent runs (by ``created_at``, then creation order), newest first."""
        return await reads.list_runs(self._connection, self._keys, self._sealer, limit)

    async def acquire(
        self, run_id: str, owner: str, ttl: float, now: float, *, take_from: str | None = None
    ) -> Lease:
        """Take the run's lease (a new token), renew it when ``owner`` holds it, or take it
        from ``take_from`` (see ``Store.acquire``).

        Raises:
            RunLockedError: when another owner holds a lease that expires after ``now``.
        """
        return await lease_queries.acquire(
            self._connection, self._keys, run_id, owner, ttl, now, take_from
        )

    async def renew(self, lease: Lease, ttl: float, now: float) -> Lease:
        """Extend ``lease``, keeping its token.

        Raises:
            LeaseLostError: when the stored lease is no longer ``lease``.
        """
        return await lease_queries.renew(self._connection, self._keys, lease, ttl, now)

    async def release(self, run_id: str, owner: str) -> None:
        """Give the lease back (no-op when ``owner`` does not hold it); its token stays."""
        await lease_queries.release(self._connection, self._keys, run_id, owner)

    async def leases(self, run_ids: Sequence[str]) -> Mapping[str, Lease]:
        """The held leases of these runs (expired ones included, released ones not)."""
        return await lease_queries.leases(self._connection, self._keys, run_ids)
