"""``PostgresVectorIndex``: vectors kept in PostgreSQL as float32 ``bytea``, searched
exactly in process (pgvector is not packaged here; ADR 020).

The index's one home of psycopg: its synchronous driver, called in worker threads, so
the index works on asyncio and trio alike. psycopg is imported when an index opens.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from plait.nodes.memory.vectors._persistent import PersistentIndex, Row
from plait.nodes.memory.vectors._protocol import VectorError

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresVectorIndex"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS plait_vector_indexes ("
    " name TEXT PRIMARY KEY, dimension INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS plait_vectors ("
    " index_name TEXT NOT NULL REFERENCES plait_vector_indexes (name),"
    " id TEXT NOT NULL, vector BYTEA NOT NULL, metadata JSONB NOT NULL,"
    " PRIMARY KEY (index_name, id))",
)


class _PostgresTable:
    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.where = f"PostgreSQL database {_describe(conninfo)}"
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def open(self, name: str, dimension: int) -> list[Row]:
        try:
            import psycopg
        except ImportError as error:
            raise VectorError(
                f"{self.where} needs psycopg: pip install 'plait[postgres]'"
            ) from error
        try:
            connection = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10)
            with connection.transaction():
                # Two processes creating the tables at once would race: one lock per database.
                connection.execute("SELECT pg_advisory_xact_lock(hashtext('plait_vectors'))")
                for statement in _SCHEMA:
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO plait_vector_indexes (name, dimension) VALUES (%s, %s) "
                    "ON CONFLICT (name) DO NOTHING",
                    (name, dimension),
                )
            stored = connection.execute(
                "SELECT dimension FROM plait_vector_indexes WHERE name = %s", (name,)
            ).fetchone()
            rows = connection.execute(
                "SELECT id, vector, metadata::text FROM plait_vectors WHERE index_name = %s",
                (name,),
            ).fetchall()
        except psycopg.Error as error:
            raise VectorError(f"{self.where}: cannot open vector index {name!r}: {error}") from None
        if stored is None or stored[0] != dimension:
            connection.close()
            found = stored[0] if stored else "no"
            raise VectorError(
                f"vector index {name!r} in {self.where} holds {found}-dimensional vectors, "
                f"not {dimension}: open it with dimension={found}, or use another name"
            )
        self._connection = connection
        return [(str(item), bytes(blob), str(data)) for item, blob, data in rows]

    def write(self, name: str, rows: Sequence[Row], deleted: Sequence[str]) -> None:
        import psycopg

        connection = self._connection
        assert connection is not None
        try:
            with connection.transaction(), connection.cursor() as cursor:
                if rows:
                    cursor.executemany(
                        "INSERT INTO plait_vectors (index_name, id, vector, metadata) "
                        "VALUES (%s, %s, %s, %s::jsonb) ON CONFLICT (index_name, id) DO UPDATE "
                        "SET vector = excluded.vector, metadata = excluded.metadata",
                        [(name, *row) for row in rows],
                    )
                if deleted:
                    cursor.execute(
                        "DELETE FROM plait_vectors WHERE index_name = %s AND id = ANY(%s)",
                        (name, list(deleted)),
                    )
        except psycopg.Error as error:
            raise VectorError(
                f"{self.where}: cannot write vector index {name!r}: {error}"
            ) from None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class PostgresVectorIndex(PersistentIndex):
    """A vector index named ``name`` in the PostgreSQL database ``conninfo`` (a
    ``postgresql://`` URL; tables ``plait_vector*``, made when missing).

    ``async with PostgresVectorIndex(url, "notes", dimension=384) as index:``
    """

    def __init__(self, conninfo: str, name: str, *, dimension: int) -> None:
        super().__init__(_PostgresTable(conninfo), name, dimension)


def _describe(conninfo: str) -> str:
    """``conninfo`` without its password."""
    if "://" in conninfo:
        parts = urllib.parse.urlsplit(conninfo)
        host = parts.netloc.rpartition("@")[2] or "localhost"
        user = f"{parts.username}@" if parts.username else ""
        return f"{parts.scheme}://{user}{host}{parts.path}"
    return re.sub(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", "password=***", conninfo)
