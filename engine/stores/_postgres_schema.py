"""The PostgreSQL store's tables, their schema version and migrations.

Only the store imports psycopg (and translates its errors); these functions are handed
its connections.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from plait.engine.stores._checks import check_schema, migration_steps
from plait.engine.stores._postgres_shared import SHARED_TABLE
from plait.engine.stores._protocol import SCHEMA_VERSION

if TYPE_CHECKING:
    from psycopg import AsyncConnection

    Connection = AsyncConnection[tuple[Any, ...]]

__all__ = ["create_or_check", "migrate"]

_SCHEMA_LOCK = 0x706C616974
"""The advisory lock key ("plait") held while creating, checking or migrating the schema,
so processes opening one database at once do not race to create it."""

_JOURNAL = """CREATE TABLE plait_journal (
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        call_index INTEGER NOT NULL,
        kind TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        request BYTEA NOT NULL,
        response BYTEA NOT NULL,
        checksum TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (run_id, node, call_index)
    )"""
"""Version 2: the effect journal (agents' LLM and tool calls), one row per call."""

_THREADS = """CREATE TABLE plait_threads (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        thread_id TEXT NOT NULL,
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        messages_after INTEGER NOT NULL,
        messages BYTEA NOT NULL,
        checksum TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        UNIQUE (thread_id, run_id, node)
    )"""
_THREADS_ORDER = "CREATE INDEX plait_threads_order ON plait_threads (thread_id, seq)"
"""Version 3: conversation threads, one row per node's turn, shared across runs."""

_TABLES = (
    "CREATE TABLE plait_schema (version INTEGER NOT NULL)",
    """CREATE TABLE plait_runs (
        seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        run_id TEXT PRIMARY KEY,
        graph TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        canonical TEXT NOT NULL,
        inputs BYTEA NOT NULL,
        status TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        error TEXT,
        parent_run TEXT
    )""",
    "CREATE INDEX plait_runs_recent ON plait_runs (created_at DESC, seq DESC)",
    """CREATE TABLE plait_outputs (
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        data BYTEA NOT NULL,
        checksum TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (run_id, node)
    )""",
    """CREATE TABLE plait_failures (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        error_type TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX plait_failures_run ON plait_failures (run_id, created_at, seq)",
    """CREATE TABLE plait_interrupts (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        key TEXT NOT NULL,
        question TEXT NOT NULL,
        answer_schema TEXT NOT NULL,
        answer BYTEA,
        created_at DOUBLE PRECISION NOT NULL,
        UNIQUE (run_id, node, key)
    )""",
    _JOURNAL,
    _THREADS,
    _THREADS_ORDER,
    *SHARED_TABLE,
    """CREATE TABLE plait_leases (
        run_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        token BIGINT NOT NULL DEFAULT 0
    )""",
)

_LEASE_TOKEN = "ALTER TABLE plait_leases ADD COLUMN token BIGINT NOT NULL DEFAULT 0"
"""Version 5: each lease's fencing token (docs/adr-017-lease-fencing.md)."""

_MIGRATIONS: MappingProxyType[int, tuple[str, ...]] = MappingProxyType(
    {1: (_JOURNAL,), 2: (_THREADS, _THREADS_ORDER), 3: SHARED_TABLE, 4: (_LEASE_TOKEN,)}
)
"""The statements that take the schema from version N to N + 1."""


async def create_or_check(connection: Connection, where: str) -> None:
    """Create the tables in a new database, or check an existing one's schema version.

    Raises:
        StoreError: when the version is not ``SCHEMA_VERSION``.
    """
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        found = await _stored_version(connection)
        if found is None:
            await _create(connection)
        else:
            check_schema(found, where)


async def migrate(connection: Connection, where: str) -> int:
    """Bring the schema up to ``SCHEMA_VERSION`` in one transaction; returns it.

    Raises:
        StoreError: when the schema is newer, or no migration leads from its version.
    """
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        found = await _stored_version(connection)
        if found is None:
            await _create(connection)
            return SCHEMA_VERSION
        for statement in migration_steps(_MIGRATIONS, found, where):
            await connection.execute(statement)
        await connection.execute("UPDATE plait_schema SET version = %s", (SCHEMA_VERSION,))
    return SCHEMA_VERSION


async def _stored_version(connection: Connection) -> int | None:
    cursor = await connection.execute("SELECT to_regclass('plait_schema') IS NOT NULL")
    exists = await cursor.fetchone()
    if exists is None or not exists[0]:
        return None
    cursor = await connection.execute("SELECT max(version) FROM plait_schema")
    row = await cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


async def _create(connection: Connection) -> None:
    for statement in _TABLES:
        await connection.execute(statement)
    await connection.execute("INSERT INTO plait_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
