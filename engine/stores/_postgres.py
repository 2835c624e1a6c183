"""The PostgreSQL store: psycopg 3, async, pooled; the only module that imports psycopg.

psycopg and psycopg_pool are imported when a store opens, never when plait loads, and
their errors become ``StoreError``s here. psycopg's async driver runs on asyncio only.
"""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from collections.abc import Awaitable, Callable, Collection, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from plait.engine.stores import _postgres_schema as schema
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
    failure_record,
    failure_row,
    interrupt_record,
    interrupt_row,
    output_row,
    run_record,
    run_row,
)

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

    Connection = AsyncConnection[tuple[Any, ...]]

__all__ = ["PostgresStore", "translate"]

T = TypeVar("T")

_REPLACE_OUTPUT = """
    ON CONFLICT (run_id, node) DO UPDATE SET
        attempt = EXCLUDED.attempt, data = EXCLUDED.data,
        checksum = EXCLUDED.checksum, created_at = EXCLUDED.created_at
"""
_PUT_OUTPUT = (
    f"INSERT INTO plait_outputs ({OUTPUT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)"
    + _REPLACE_OUTPUT
)
_PUT_OUTPUTS = (
    f"INSERT INTO plait_outputs ({OUTPUT_COLUMNS}) SELECT * FROM unnest("
    "%s::text[], %s::text[], %s::integer[], %s::bytea[], %s::text[], %s::float8[])"
    + _REPLACE_OUTPUT
)
_PUT_INTERRUPT = f"""
    INSERT INTO plait_interrupts ({INTERRUPT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (run_id, node, key) DO UPDATE SET
        question = EXCLUDED.question, answer_schema = EXCLUDED.answer_schema,
        answer = EXCLUDED.answer
"""
_ACQUIRE = """
    INSERT INTO plait_leases (run_id, owner, expires_at) VALUES (%s, %s, %s)
    ON CONFLICT (run_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
    WHERE plait_leases.owner = EXCLUDED.owner OR plait_leases.expires_at <= %s
    RETURNING owner
"""
_EXTRA = "install PostgreSQL support with `pip install 'plait[postgres]'`"


class PostgresStore:
    """A ``Store`` in a PostgreSQL database, shared safely by any number of processes.

    ``conninfo`` is a libpq URL or key/value string. Tables (``plait_*``) are created in
    the connection's current schema on first open. Connections come from a pool of
    ``min_size`` to ``max_size``; ``timeout`` bounds connecting and waiting for a free
    connection. Needs asyncio (psycopg's async driver does not run on trio).
    """

    def __init__(
        self, conninfo: str, *, min_size: int = 1, max_size: int = 4, timeout: float = 10.0
    ) -> None:
        self.conninfo = conninfo
        self.min_size = min_size
        self.max_size = max_size
        self.timeout = timeout
        self._where = f"PostgreSQL store {describe(conninfo)}"
        self._pool: AsyncConnectionPool[Connection] | None = None

    def __repr__(self) -> str:
        return f"PostgresStore({describe(self.conninfo)!r})"

    async def __aenter__(self) -> PostgresStore:
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
        """Connect, create the tables in a new database or check their schema version.

        Raises:
            StoreError: when psycopg is not installed, the loop is not asyncio, the server
                cannot be reached, or the schema is not ``SCHEMA_VERSION`` (newer: upgrade
                plait; older: run ``migrate()``).
        """
        if self._pool is not None:
            return
        await self._with_connection(schema.create_or_check, "open the database")
        from psycopg_pool import AsyncConnectionPool, PoolTimeout

        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            self.conninfo,
            min_size=self.min_size,
            max_size=self.max_size,
            timeout=self.timeout,
            kwargs={"autocommit": True},
            open=False,
        )
        try:
            await pool.open(wait=True, timeout=self.timeout)
        except PoolTimeout as error:
            await pool.close()
            raise translate(error, self._where, "fill the connection pool") from error
        self._pool = pool

    async def close(self) -> None:
        """Close the pool's connections; ``open()`` works again."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def migrate(self) -> int:
        """Bring the database's schema up to ``SCHEMA_VERSION``; returns that version.

        Works on a closed store too: it is how to open a database that ``open()`` refuses
        as too old. Back the database up first.

        Raises:
            StoreError: when the schema is newer than this plait's, or no migration leads
                from the stored version to the current one.
        """
        return await self._with_connection(schema.migrate, "migrate the schema")

    async def create_run(self, record: RunRecord) -> None:
        """Record a new run.

        Raises:
            StoreError: when the run id already exists.
        """

        async def create(connection: Connection) -> None:
            cursor = await connection.execute(
                f"INSERT INTO plait_runs ({RUN_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (run_id) DO NOTHING RETURNING run_id",
                run_row(record),
            )
            if await cursor.fetchone() is None:
                raise run_exists(record.run_id)

        await self._run(create, f"create run {record.run_id}")

    async def set_status(
        self, run_id: str, status: StoredStatus, at: float, error: str | None = None
    ) -> None:
        """Update a run's status, error and ``updated_at``.

        Raises:
            StoreError: when there is no such run.
        """

        async def update(connection: Connection) -> None:
            cursor = await connection.execute(
                "UPDATE plait_runs SET status = %s, updated_at = %s, error = %s WHERE run_id = %s",
                (StoredStatus(status).value, at, error, run_id),
            )
            if cursor.rowcount == 0:
                raise no_such_run([run_id], "set the status")

        await self._run(update, f"set the status of run {run_id}")

    async def get_run(self, run_id: str) -> RunRecord | None:
        """The run, or None when there is no such run."""

        async def get(connection: Connection) -> RunRecord | None:
            cursor = await connection.execute(
                f"SELECT {RUN_COLUMNS} FROM plait_runs WHERE run_id = %s", (run_id,)
            )
            row = await cursor.fetchone()
            return None if row is None else run_record(row)

        return await self._run(get, f"read run {run_id}")

    async def list_runs(self, limit: int = 50) -> Sequence[RunRecord]:
        """The most recent runs (by ``created_at``, then creation order), newest first."""

        async def recent(connection: Connection) -> list[RunRecord]:
            cursor = await connection.execute(
                f"SELECT {RUN_COLUMNS} FROM plait_runs ORDER BY created_at DESC, seq DESC LIMIT %s",
                (max(limit, 0),),
            )
            return [run_record(row) for row in await cursor.fetchall()]

        return await self._run(recent, "list runs")

    async def put_output(
        self, run_id: str, node: str, attempt: int, data: bytes, at: float
    ) -> None:
        """Commit one node's output, replacing an earlier one for the same node.

        Raises:
            StoreError: when there is no such run.
        """
        row = (run_id, node, attempt, bytes(data), checksum(data), at)
        doing = f"store the output of node `{node}` of run {run_id}"
        await self._insert(_PUT_OUTPUT, row, [run_id], doing)

    async def put_outputs(self, records: Sequence[OutputRecord]) -> None:
        """Commit several outputs in one statement: all of them, or none.

        Raises:
            CorruptRecordError: when a record's checksum does not match its bytes.
            StoreError: when a record's run does not exist.
        """
        if not records:
            return
        # One lock order for every batch, so two concurrent batches cannot deadlock.
        kept = sorted(last_per_node(records), key=lambda record: (record.run_id, record.node))
        columns = [list(column) for column in zip(*map(output_row, kept), strict=True)]
        run_ids = {record.run_id for record in kept}
        await self._insert(_PUT_OUTPUTS, columns, run_ids, f"store {len(records)} outputs")

    async def outputs(self, run_id: str) -> dict[str, OutputRecord]:
        """Every committed output of a run, by node path, in commit order.

        Raises:
            CorruptRecordError: when a record's bytes do not match its checksum.
        """

        async def read(connection: Connection) -> dict[str, OutputRecord]:
            cursor = await connection.execute(
                f"SELECT {OUTPUT_COLUMNS} FROM plait_outputs WHERE run_id = %s "
                "ORDER BY created_at, node",
                (run_id,),
            )
            records = [OutputRecord(*row) for row in await cursor.fetchall()]
            return {record.node: verified(record) for record in records}

        return await self._run(read, f"read the outputs of run {run_id}")

    async def put_failure(self, record: FailureRecord) -> None:
        """Record a failed attempt.

        Raises:
            StoreError: when there is no such run.
        """
        await self._insert(
            f"INSERT INTO plait_failures ({FAILURE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
            failure_row(record),
            [record.run_id],
            f"record a failure of node `{record.node}`",
        )

    async def failures(self, run_id: str) -> Sequence[FailureRecord]:
        """A run's failed attempts, oldest first (by ``created_at``, then recording order)."""

        async def read(connection: Connection) -> list[FailureRecord]:
            cursor = await connection.execute(
                f"SELECT {FAILURE_COLUMNS} FROM plait_failures WHERE run_id = %s "
                "ORDER BY created_at, seq",
                (run_id,),
            )
            return [failure_record(row) for row in await cursor.fetchall()]

        return await self._run(read, f"read the failures of run {run_id}")

    async def put_interrupt(self, record: InterruptRecord) -> None:
        """Record a question, or update it (its answer) for the same node and key.

        An update keeps the question's place and ``created_at``.

        Raises:
            StoreError: when there is no such run.
        """
        doing = f"record an interrupt of node `{record.node}`"
        await self._insert(_PUT_INTERRUPT, interrupt_row(record), [record.run_id], doing)

    async def interrupts(self, run_id: str) -> Sequence[InterruptRecord]:
        """A run's interrupts, oldest first (by ``created_at``, then recording order)."""

        async def read(connection: Connection) -> list[InterruptRecord]:
            cursor = await connection.execute(
                f"SELECT {INTERRUPT_COLUMNS} FROM plait_interrupts WHERE run_id = %s "
                "ORDER BY created_at, seq",
                (run_id,),
            )
            return [interrupt_record(row) for row in await cursor.fetchall()]

        return await self._run(read, f"read the interrupts of run {run_id}")

    async def acquire(self, run_id: str, owner: str, ttl: float, now: float) -> None:
        """Take the run's lease for ``ttl`` seconds, or renew it if ``owner`` holds it.

        One upsert whose update applies only to the same owner or an expired lease:
        PostgreSQL locks the row, so of two concurrent callers exactly one wins.

        Raises:
            RunLockedError: when another owner holds a lease that expires after ``now``.
        """

        async def take(connection: Connection) -> None:
            while True:
                cursor = await connection.execute(_ACQUIRE, (run_id, owner, now + ttl, now))
                if await cursor.fetchone() is not None:
                    return
                cursor = await connection.execute(
                    "SELECT owner, expires_at FROM plait_leases WHERE run_id = %s", (run_id,)
                )
                held = await cursor.fetchone()
                if held is not None:  # else it was released in between: try again
                    raise RunLockedError(run_id, held[0], held[1] - now)

        await self._run(take, f"take the lease of run {run_id}")

    async def release(self, run_id: str, owner: str) -> None:
        """Give the lease back (no-op when ``owner`` does not hold it)."""

        async def give_back(connection: Connection) -> None:
            await connection.execute(
                "DELETE FROM plait_leases WHERE run_id = %s AND owner = %s", (run_id, owner)
            )

        await self._run(give_back, f"release the lease of run {run_id}")

    async def _insert(
        self, statement: str, values: Sequence[object], run_ids: Collection[str], doing: str
    ) -> None:
        """Run one insert; a row of a missing run is refused by name."""
        from psycopg.errors import ForeignKeyViolation

        async def insert(connection: Connection) -> None:
            try:
                await connection.execute(statement, values)
            except ForeignKeyViolation:
                cursor = await connection.execute(
                    "SELECT run_id FROM plait_runs WHERE run_id = ANY(%s)", (list(run_ids),)
                )
                found = {row[0] for row in await cursor.fetchall()}
                raise no_such_run(set(run_ids) - found, doing) from None

        await self._run(insert, doing)

    async def _run(self, function: Callable[[Connection], Awaitable[T]], doing: str) -> T:
        pool = self._pool
        if pool is None:
            raise StoreError(f"{self._where}: cannot {doing}: the store is not open")
        import psycopg

        try:
            async with pool.connection() as connection:
                return await function(connection)
        except psycopg.Error as error:
            raise translate(error, self._where, doing) from error

    async def _with_connection(
        self, function: Callable[[Connection, str], Awaitable[T]], doing: str
    ) -> T:
        """Call ``function`` on a connection of its own, outside the pool."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise StoreError(
                f"{self._where}: psycopg's async driver runs on asyncio only; run plait "
                "with the asyncio backend, or use an SQLite store"
            ) from None
        try:
            import psycopg
            import psycopg_pool  # noqa: F401  (open() needs it next)
        except ImportError as error:
            raise StoreError(f"{self._where} needs psycopg: {_EXTRA}") from error
        try:
            connection = await psycopg.AsyncConnection.connect(
                self.conninfo, autocommit=True, connect_timeout=max(1, round(self.timeout))
            )
        except psycopg.Error as error:
            raise translate(error, self._where, doing) from error
        try:
            async with connection:
                return await function(connection, self._where)
        except psycopg.Error as error:
            raise translate(error, self._where, doing) from error


def translate(error: Exception, where: str, doing: str) -> StoreError:
    """The ``StoreError`` for a psycopg or psycopg_pool error, naming what failed."""
    from psycopg import OperationalError
    from psycopg_pool import PoolClosed, PoolTimeout

    detail = str(error).strip() or type(error).__name__
    if isinstance(error, PoolTimeout):
        reason = f"no connection became free in time ({detail})"
    elif isinstance(error, PoolClosed):
        reason = "the store was closed"
    elif isinstance(error, OperationalError):
        reason = f"the server is unreachable or failed: {detail}"
    else:
        reason = f"{type(error).__name__}: {detail}"
    return StoreError(f"{where}: cannot {doing}: {reason}")


def describe(conninfo: str) -> str:
    """``conninfo`` without its password, to name the store in messages."""
    if "://" in conninfo:
        parts = urllib.parse.urlsplit(conninfo)
        host = parts.netloc.rpartition("@")[2] or "localhost"
        user = f"{parts.username}@" if parts.username else ""
        return f"{parts.scheme}://{user}{host}{parts.path}"
    return re.sub(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", "password=***", conninfo)
