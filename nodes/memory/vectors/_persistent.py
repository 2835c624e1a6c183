"""What the database-backed indexes share: a ``Table`` of rows, mirrored by an in-process
``NumpyIndex`` that answers searches.

A write is checked whole first, committed to the table in one transaction (in a worker
thread), and only then applied to the mirror: a refused batch, or a failed commit,
changes neither. Opening reads every row of the index once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol, Self

import anyio
import anyio.to_thread

from plait.nodes.memory.vectors._matrix import from_blobs, to_blob
from plait.nodes.memory.vectors._numpy_index import Batch, NumpyIndex, check_ids_list
from plait.nodes.memory.vectors._protocol import (
    Hit,
    JsonValue,
    Metadata,
    Vector,
    VectorError,
    Where,
)

__all__ = ["PersistentIndex", "Row", "Table"]

Row = tuple[str, bytes, str]
"""One stored item: id, unit float32 vector as little-endian bytes, metadata as JSON."""


class Table(Protocol):
    """A database's side of a persistent index; each method runs in a worker thread."""

    where: str
    """The database, named for messages (never with a password)."""

    def open(self, name: str, dimension: int) -> list[Row]:
        """Create the tables if missing, record or check ``name``'s dimension, and read
        its rows.

        Raises:
            VectorError: when ``name`` was made with another dimension, or the database fails.
        """
        ...

    def write(self, name: str, rows: Sequence[Row], deleted: Sequence[str]) -> None:
        """Insert or replace ``rows`` and delete ``deleted``, in one transaction."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


class PersistentIndex:
    """A ``VectorIndex`` over a ``Table``: ``async with`` opens and closes it."""

    def __init__(self, table: Table, name: str, dimension: int) -> None:
        if not isinstance(name, str) or not name:
            raise VectorError(f"index name {name!r}: expected a non-empty string")
        self.name = name
        self._table = table
        self._mirror = NumpyIndex(dimension)
        self._lock: anyio.Lock | None = None

    @property
    def dimension(self) -> int:
        """The length every vector of the index has."""
        return self._mirror.dimension

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.name!r}, {self._table.where}, dimension={self.dimension})"
        )

    async def open(self) -> None:
        """Create or check the tables and load the index's rows.

        Raises:
            VectorError: when the index exists with another dimension, a stored row is
                damaged, or the database fails.
        """
        if self._lock is not None:
            return
        rows = await anyio.to_thread.run_sync(self._table.open, self.name, self.dimension)
        ids = [row[0] for row in rows]
        try:
            metadata = [json.loads(row[2]) for row in rows]
        except ValueError as error:
            raise VectorError(
                f"{self._table.where}: stored metadata is not JSON: {error}"
            ) from None
        matrix = from_blobs([row[1] for row in rows], self.dimension)
        self._mirror.apply(Batch(ids, matrix, metadata))
        self._lock = anyio.Lock()

    async def close(self) -> None:
        """Close the database connection."""
        if self._lock is None:
            return
        async with self._lock:
            self._lock = None
            await anyio.to_thread.run_sync(self._table.close)

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _opened(self) -> anyio.Lock:
        if self._lock is None:
            raise VectorError(
                f"vector index {self.name!r} in {self._table.where} is not open: "
                "use `async with index:` or `await index.open()` first"
            )
        return self._lock

    async def _store(
        self,
        ids: Sequence[str],
        vectors: Sequence[Vector],
        metadata: Sequence[Metadata],
        *,
        replace: bool,
    ) -> None:
        async with self._opened():
            batch = self._mirror.check(ids, vectors, metadata, replace=replace)
            if not batch.ids:
                return  # every item was stored already, as it is
            rows = [
                (item, to_blob(batch.rows[i]), _json(batch.metadata[i]))
                for i, item in enumerate(batch.ids)
            ]
            # Shielded: a commit the database made is always mirrored, even when cancelled.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._table.write, self.name, rows, ())
                self._mirror.apply(batch)

    async def add(
        self, ids: Sequence[str], vectors: Sequence[Vector], metadata: Sequence[Metadata] = ()
    ) -> None:
        """Store new items; see ``VectorIndex.add``."""
        await self._store(ids, vectors, metadata, replace=False)

    async def upsert(
        self, ids: Sequence[str], vectors: Sequence[Vector], metadata: Sequence[Metadata] = ()
    ) -> None:
        """Store items, replacing stored ones; see ``VectorIndex.upsert``."""
        await self._store(ids, vectors, metadata, replace=True)

    async def delete(self, ids: Sequence[str]) -> int:
        """Remove items; see ``VectorIndex.delete``."""
        check_ids_list(ids)
        async with self._opened():
            present = [item for item in dict.fromkeys(ids) if self._mirror.contains(item)]
            removed = 0
            with anyio.CancelScope(shield=True):
                if present:
                    await anyio.to_thread.run_sync(self._table.write, self.name, (), present)
                removed = self._mirror.remove(present)
            return removed

    async def search(self, query: Vector, k: int = 10, where: Where | None = None) -> list[Hit]:
        """The ``k`` most similar items; see ``VectorIndex.search``."""
        self._opened()
        return self._mirror.find(query, k, where)

    async def count(self) -> int:
        """How many items are stored."""
        self._opened()
        return len(self._mirror)


def _json(metadata: dict[str, JsonValue]) -> str:
    return json.dumps(metadata, sort_keys=True, ensure_ascii=False, allow_nan=False)
