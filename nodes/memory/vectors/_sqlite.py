"""``SQLiteVectorIndex``: vectors kept in an SQLite file as float32 blobs, searched exactly
in process (ADR 020: the ``sqlite-vec`` extension cannot load into this Python's sqlite3)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from plait.nodes.memory.vectors._persistent import PersistentIndex, Row
from plait.nodes.memory.vectors._protocol import VectorError

__all__ = ["SQLiteVectorIndex"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS plait_vector_indexes (
    name TEXT PRIMARY KEY,
    dimension INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS plait_vectors (
    index_name TEXT NOT NULL REFERENCES plait_vector_indexes (name),
    id TEXT NOT NULL,
    vector BLOB NOT NULL,
    metadata TEXT NOT NULL,
    PRIMARY KEY (index_name, id)
);
"""


class _SQLiteTable:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"SQLite file {path}"
        self._connection: sqlite3.Connection | None = None

    def _fail(self, error: sqlite3.Error, doing: str) -> VectorError:
        return VectorError(f"{self.where}: cannot {doing}: {error}")

    def open(self, name: str, dimension: int) -> list[Row]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=5000")
            connection.executescript(_SCHEMA)
            connection.execute(
                "INSERT OR IGNORE INTO plait_vector_indexes (name, dimension) VALUES (?, ?)",
                (name, dimension),
            )
            (stored,) = connection.execute(
                "SELECT dimension FROM plait_vector_indexes WHERE name = ?", (name,)
            ).fetchone()
            rows = connection.execute(
                "SELECT id, vector, metadata FROM plait_vectors WHERE index_name = ? "
                "ORDER BY rowid",
                (name,),
            ).fetchall()
        except sqlite3.Error as error:
            raise self._fail(error, f"open vector index {name!r}") from None
        if stored != dimension:
            connection.close()
            raise VectorError(
                f"vector index {name!r} in {self.where} holds {stored}-dimensional vectors, "
                f"not {dimension}: open it with dimension={stored}, or use another name"
            )
        self._connection = connection
        return [(str(item), bytes(blob), str(data)) for item, blob, data in rows]

    def write(self, name: str, rows: Sequence[Row], deleted: Sequence[str]) -> None:
        connection = self._connection
        assert connection is not None
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(
                    "INSERT INTO plait_vectors (index_name, id, vector, metadata) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (index_name, id) DO UPDATE SET "
                    "vector = excluded.vector, metadata = excluded.metadata",
                    [(name, *row) for row in rows],
                )
                connection.executemany(
                    "DELETE FROM plait_vectors WHERE index_name = ? AND id = ?",
                    [(name, item) for item in deleted],
                )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise self._fail(error, f"write vector index {name!r}") from None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class SQLiteVectorIndex(PersistentIndex):
    """A vector index named ``name`` in the SQLite file ``path`` (created when missing;
    it may be the checkpoint store's file: the tables are ``plait_vector*``).

    ``async with SQLiteVectorIndex("plait.db", "notes", dimension=384) as index:``
    """

    def __init__(self, path: str | Path, name: str, *, dimension: int) -> None:
        super().__init__(_SQLiteTable(Path(path)), name, dimension)
