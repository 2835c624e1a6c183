"""The SQLite store's tables, their schema version, migrations, and write transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from types import MappingProxyType

from plait.engine.stores._checks import check_schema, migration_steps
from plait.engine.stores._protocol import SCHEMA_VERSION

__all__ = ["create_or_check", "migrate", "stored_version", "transaction"]

_JOURNAL = """CREATE TABLE plait_journal (
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        call_index INTEGER NOT NULL,
        kind TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        request BLOB NOT NULL,
        response BLOB NOT NULL,
        checksum TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (run_id, node, call_index)
    )"""
"""Version 2: the effect journal (agents' LLM and tool calls), one row per call."""

_THREADS = """CREATE TABLE plait_threads (
        seq INTEGER PRIMARY KEY,
        thread_id TEXT NOT NULL,
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        messages_after INTEGER NOT NULL,
        messages BLOB NOT NULL,
        checksum TEXT NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (thread_id, run_id, node)
    )"""
_THREADS_ORDER = "CREATE INDEX plait_threads_order ON plait_threads (thread_id, seq)"
"""Version 3: conversation threads, one row per node's turn, shared across runs."""

_SHARED = (
    """CREATE TABLE plait_shared (
        version INTEGER PRIMARY KEY AUTOINCREMENT,
        scope TEXT NOT NULL,
        owner TEXT NOT NULL,
        key TEXT NOT NULL,
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        data BLOB NOT NULL,
        checksum TEXT NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (scope, owner, key, run_id, node)
    )""",
    "CREATE INDEX plait_shared_latest ON plait_shared (scope, owner, key, version)",
    "CREATE INDEX plait_shared_run ON plait_shared (run_id, version)",
)
"""Version 4: shared run memory, one row per node's write of a key."""

_TABLES = (
    "CREATE TABLE plait_schema (version INTEGER NOT NULL)",
    """CREATE TABLE plait_runs (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL UNIQUE,
        graph TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        canonical TEXT NOT NULL,
        inputs BLOB NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        error TEXT,
        parent_run TEXT
    )""",
    "CREATE INDEX plait_runs_recent ON plait_runs (created_at DESC, seq DESC)",
    """CREATE TABLE plait_outputs (
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        data BLOB NOT NULL,
        checksum TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (run_id, node)
    )""",
    """CREATE TABLE plait_failures (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        error_type TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at REAL NOT NULL
    )""",
    "CREATE INDEX plait_failures_run ON plait_failures (run_id, created_at, seq)",
    """CREATE TABLE plait_interrupts (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES plait_runs (run_id),
        node TEXT NOT NULL,
        key TEXT NOT NULL,
        question TEXT NOT NULL,
        answer_schema TEXT NOT NULL,
        answer BLOB,
        created_at REAL NOT NULL,
        UNIQUE (run_id, node, key)
    )""",
    _JOURNAL,
    _THREADS,
    _THREADS_ORDER,
    *_SHARED,
    """CREATE TABLE plait_leases (
        run_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at REAL NOT NULL,
        token INTEGER NOT NULL DEFAULT 0
    )""",
)

_LEASE_TOKEN = "ALTER TABLE plait_leases ADD COLUMN token INTEGER NOT NULL DEFAULT 0"
"""Version 5: each lease's fencing token (docs/adr-017-lease-fencing.md)."""

_MIGRATIONS: MappingProxyType[int, tuple[str, ...]] = MappingProxyType(
    {1: (_JOURNAL,), 2: (_THREADS, _THREADS_ORDER), 3: _SHARED, 4: (_LEASE_TOKEN,)}
)
"""The statements that take the schema from version N to N + 1."""


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """A write transaction on an autocommit connection.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so two processes never both read
    and then both write (and a writer waits ``busy_timeout`` instead of failing).
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def stored_version(connection: sqlite3.Connection) -> int | None:
    """The schema version the file records, or None for a file without plait's tables."""
    table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'plait_schema'"
    ).fetchone()
    if table is None:
        return None
    row = connection.execute("SELECT max(version) FROM plait_schema").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def create_or_check(connection: sqlite3.Connection, where: str) -> None:
    """Create the tables in a new file, or check an existing file's schema version.

    Raises:
        StoreError: when the version is not ``SCHEMA_VERSION``.
    """
    with transaction(connection):
        found = stored_version(connection)
        if found is None:
            _create(connection)
        else:
            check_schema(found, where)


def migrate(connection: sqlite3.Connection, where: str) -> int:
    """Bring the schema up to ``SCHEMA_VERSION`` in one transaction; returns it.

    Raises:
        StoreError: when the schema is newer, or no migration leads from its version.
    """
    with transaction(connection):
        found = stored_version(connection)
        if found is None:
            _create(connection)
            return SCHEMA_VERSION
        for statement in migration_steps(_MIGRATIONS, found, where):
            connection.execute(statement)
        connection.execute("UPDATE plait_schema SET version = ?", (SCHEMA_VERSION,))
    return SCHEMA_VERSION


def _create(connection: sqlite3.Connection) -> None:
    for statement in _TABLES:
        connection.execute(statement)
    connection.execute("INSERT INTO plait_schema (version) VALUES (?)", (SCHEMA_VERSION,))
