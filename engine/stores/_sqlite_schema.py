"""The SQLite store's tables, their schema version, migrations, and write transactions."""

from __future__ import annotations

import sqlite3
from types import MappingProxyType

from plait.engine.stores._checks import check_schema, migration_steps
from plait.engine.stores._protocol import SCHEMA_VERSION
from plait.engine.stores._reseal import V5_SELECTS, V5_TABLES, resealed
from plait.engine.stores._seal import Sealer

__all__ = ["create_or_check", "migrate", "stored_version", "transaction"]

_V5_STEPS: MappingProxyType[int, tuple[str, ...]] = MappingProxyType(
    {
        1: (
            """CREATE TABLE plait_journal (run_id TEXT NOT NULL, node TEXT NOT NULL,
            call_index INTEGER NOT NULL, kind TEXT NOT NULL, request_hash TEXT NOT NULL,
            request BLOB NOT NULL, response BLOB NOT NULL, checksum TEXT NOT NULL,
            created_at REAL NOT NULL, PRIMARY KEY (run_id, node, call_index))""",
        ),
        2: (
            """CREATE TABLE plait_threads (seq INTEGER PRIMARY KEY, thread_id TEXT NOT NULL,
            run_id TEXT NOT NULL, node TEXT NOT NULL, messages_after INTEGER NOT NULL,
            messages BLOB NOT NULL, checksum TEXT NOT NULL, created_at REAL NOT NULL,
            UNIQUE (thread_id, run_id, node))""",
        ),
        3: (
            """CREATE TABLE plait_shared (version INTEGER PRIMARY KEY AUTOINCREMENT,
            scope TEXT NOT NULL, owner TEXT NOT NULL, key TEXT NOT NULL, run_id TEXT NOT NULL,
            node TEXT NOT NULL, data BLOB NOT NULL, checksum TEXT NOT NULL,
            created_at REAL NOT NULL, UNIQUE (scope, owner, key, run_id, node))""",
        ),
        4: ("ALTER TABLE plait_leases ADD COLUMN token INTEGER NOT NULL DEFAULT 0",),
        5: (),  # 5 -> 6 re-lays out and seals every row: ``_reseal``
    }
)
"""The statements that take an old schema from version N to N + 1 (up to 5: the tables
they create are read once, then replaced by version 6's)."""

_RUN = "REFERENCES plait_runs (run_id)"
_TABLES = (
    "CREATE TABLE plait_schema (version INTEGER NOT NULL, key_check BLOB)",
    """CREATE TABLE plait_graphs (
        content_hash TEXT PRIMARY KEY, canonical BLOB NOT NULL, checksum BLOB NOT NULL
    )""",
    """CREATE TABLE plait_runs (
        seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, graph TEXT NOT NULL,
        content_hash TEXT NOT NULL, inputs BLOB NOT NULL, created_at REAL NOT NULL,
        parent_run TEXT, checksum BLOB NOT NULL,
        status TEXT NOT NULL, updated_at REAL NOT NULL, error TEXT,
        state_checksum BLOB NOT NULL
    )""",
    "CREATE INDEX plait_runs_recent ON plait_runs (created_at DESC, seq DESC)",
    f"""CREATE TABLE plait_outputs (
        run_id TEXT NOT NULL {_RUN}, node TEXT NOT NULL, attempt INTEGER NOT NULL,
        data BLOB NOT NULL, checksum BLOB NOT NULL, created_at REAL NOT NULL,
        PRIMARY KEY (run_id, node)
    ) WITHOUT ROWID""",
    f"""CREATE TABLE plait_failures (
        seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL {_RUN}, node TEXT NOT NULL,
        attempt INTEGER NOT NULL, error_type TEXT NOT NULL, message TEXT NOT NULL,
        created_at REAL NOT NULL, checksum BLOB NOT NULL
    )""",
    "CREATE INDEX plait_failures_run ON plait_failures (run_id, created_at, seq)",
    f"""CREATE TABLE plait_interrupts (
        seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL {_RUN}, node TEXT NOT NULL,
        key TEXT NOT NULL, question TEXT NOT NULL, answer_schema TEXT NOT NULL, answer BLOB,
        created_at REAL NOT NULL, checksum BLOB NOT NULL, UNIQUE (run_id, node, key)
    )""",
    f"""CREATE TABLE plait_journal (
        run_id TEXT NOT NULL {_RUN}, node TEXT NOT NULL, call_index INTEGER NOT NULL,
        kind TEXT NOT NULL, request_hash TEXT NOT NULL, request BLOB NOT NULL,
        response BLOB NOT NULL, checksum BLOB NOT NULL, created_at REAL NOT NULL,
        PRIMARY KEY (run_id, node, call_index)
    )""",
    f"""CREATE TABLE plait_threads (
        seq INTEGER PRIMARY KEY, thread_id TEXT NOT NULL, run_id TEXT NOT NULL {_RUN},
        node TEXT NOT NULL, messages_after INTEGER NOT NULL, messages BLOB NOT NULL,
        checksum BLOB NOT NULL, created_at REAL NOT NULL, UNIQUE (thread_id, run_id, node)
    )""",
    "CREATE INDEX plait_threads_order ON plait_threads (thread_id, seq)",
    f"""CREATE TABLE plait_shared (
        version INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, owner TEXT NOT NULL,
        key TEXT NOT NULL, run_id TEXT NOT NULL {_RUN}, node TEXT NOT NULL,
        data BLOB NOT NULL, checksum BLOB NOT NULL, created_at REAL NOT NULL,
        UNIQUE (scope, owner, key, run_id, node)
    )""",
    "CREATE INDEX plait_shared_latest ON plait_shared (scope, owner, key, version)",
    "CREATE INDEX plait_shared_run ON plait_shared (run_id, version)",
)
_LEASES = """CREATE TABLE plait_leases (
    run_id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL,
    token INTEGER NOT NULL DEFAULT 0
)"""
"""Version 6 (docs/adr-024-record-format.md): every row sealed, graph descriptions once
per content hash, outputs without a rowid (the run id stored once per row)."""


class transaction:  # used as a function: ``with transaction(connection):``
    """A write transaction on an autocommit connection.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so two processes never both read
    and then both write (and a writer waits ``busy_timeout`` instead of failing). A class,
    not a generator: every commit enters one (a chain of durable nodes, one per node).
    """

    __slots__ = ("connection",)

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: object
    ) -> None:
        connection = self.connection
        try:
            if kind is None:
                connection.execute("COMMIT")
        finally:  # a failed body, or a failed COMMIT (which leaves the transaction open)
            if connection.in_transaction:
                connection.execute("ROLLBACK")


def stored_version(connection: sqlite3.Connection) -> int | None:
    """The schema version the file records, or None for a file without plait's tables."""
    table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'plait_schema'"
    ).fetchone()
    if table is None:
        return None
    row = connection.execute("SELECT max(version) FROM plait_schema").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def create_or_check(connection: sqlite3.Connection, where: str, sealer: Sealer) -> None:
    """Create the tables in a new file, or check an existing file's schema version.

    Raises:
        StoreError: when the version is not ``SCHEMA_VERSION``, or the store was sealed
            under another key.
    """
    with transaction(connection):
        found = stored_version(connection)
        if found is None:
            _create(connection, sealer, leases=True)
        else:
            check_schema(found, where)
            stored = connection.execute("SELECT key_check FROM plait_schema").fetchone()
            sealer.check_key(None if stored is None else stored[0], where)


def migrate(connection: sqlite3.Connection, where: str, sealer: Sealer) -> int:
    """Bring the schema up to ``SCHEMA_VERSION`` in one transaction; returns it.

    Raises:
        StoreError: when the schema is newer, or no migration leads from its version.
        CorruptRecordError: when an old record fails its checksum (nothing is changed).
    """
    with transaction(connection):
        found = stored_version(connection)
        if found is None:
            _create(connection, sealer, leases=True)
            return SCHEMA_VERSION
        if found == SCHEMA_VERSION:
            return SCHEMA_VERSION
        for statement in migration_steps(_V5_STEPS, found, where):
            connection.execute(statement)
        old = {table: connection.execute(query).fetchall() for table, query in V5_SELECTS.items()}
        rows = resealed(old, sealer)
        for table in V5_TABLES:
            connection.execute(f"DROP TABLE {table}")
        _create(connection, sealer, leases=False)
        for table, columns, values in rows:
            marks = ", ".join("?" * len(columns.split(",")))
            connection.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)
    return SCHEMA_VERSION


def _create(connection: sqlite3.Connection, sealer: Sealer, *, leases: bool) -> None:
    for statement in (*_TABLES, _LEASES) if leases else _TABLES:
        connection.execute(statement)
    connection.execute(
        "INSERT INTO plait_schema (version, key_check) VALUES (?, ?)",
        (SCHEMA_VERSION, sealer.key_check()),
    )
