"""``NumpyIndex``: the exact in-process vector index, and the cache the persistent ones
search."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plait.nodes.memory.vectors._checks import (
    check_ids,
    check_k,
    check_metadata,
    check_where,
    matches,
)
from plait.nodes.memory.vectors._matrix import Matrix
from plait.nodes.memory.vectors._protocol import (
    Hit,
    JsonValue,
    Metadata,
    Vector,
    VectorError,
    Where,
)

if TYPE_CHECKING:
    from plait.nodes.memory.vectors._matrix import Rows

__all__ = ["REPEAT_SIMILARITY", "Batch", "NumpyIndex"]

REPEAT_SIMILARITY = 0.999
"""``add`` of a stored id with equal metadata and a vector at least this similar (cosine)
is a repeat, not a conflict: room for float32 rounding and for an embedding service that
returns the same text's vector a little differently from one call to the next."""


@dataclass(frozen=True, slots=True)
class Batch:
    """A checked batch, ready to store: ids, unit rows, metadata."""

    ids: Sequence[str]
    rows: Rows
    metadata: Sequence[dict[str, JsonValue]]


class NumpyIndex:
    """Exact cosine search over a preallocated float32 matrix in this process.

    Nothing is kept after the process ends; ``SQLiteVectorIndex`` and
    ``PostgresVectorIndex`` keep their items in a database. Searching is done in the
    calling task (a 100k x 384 search takes milliseconds), writing likewise.
    """

    def __init__(self, dimension: int) -> None:
        if not isinstance(dimension, int) or isinstance(dimension, bool) or dimension < 1:
            raise VectorError(f"dimension={dimension!r}: expected a positive int")
        self._matrix = Matrix(dimension)
        self._ids: list[str] = []
        self._positions: dict[str, int] = {}
        self._metadata: list[dict[str, JsonValue]] = []
        self._fields: Counter[str] = Counter()

    @property
    def dimension(self) -> int:
        """The length every vector of the index has."""
        return self._matrix.dimension

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dimension={self.dimension}, items={len(self)})"

    async def __aenter__(self) -> NumpyIndex:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    def check(
        self,
        ids: Sequence[str],
        vectors: Sequence[Vector],
        metadata: Sequence[Metadata],
        *,
        replace: bool,
    ) -> Batch:
        """The batch checked whole, before anything is stored.

        Raises:
            VectorError: for the first bad id, vector or metadata.
        """
        check_ids(ids)
        rows = self._matrix.prepare(vectors, ids)
        batch = Batch(list(ids), rows, check_metadata(metadata, ids))
        return batch if replace else self._without_repeats(batch)

    def _without_repeats(self, batch: Batch) -> Batch:
        """``batch`` less the items already stored as they are (``add`` of the same item
        again is a no-op, so a retried or resumed node can add what it added before).

        Raises:
            VectorError: for an id stored with another vector or other metadata.
        """
        fresh: list[int] = []
        for i, item in enumerate(batch.ids):
            position = self._positions.get(item)
            if position is None:
                fresh.append(i)
                continue
            if _json(self._metadata[position]) != _json(batch.metadata[i]):
                differs = "other metadata"
            elif self._matrix.similarity(position, batch.rows[i]) < REPEAT_SIMILARITY:
                differs = "another vector"
            else:
                continue
            raise VectorError(
                f"id {item!r} is already stored with {differs}: use upsert to replace it, "
                "or delete it first (adding the same item again is a no-op)"
            )
        if len(fresh) == len(batch.ids):
            return batch
        return Batch(
            [batch.ids[i] for i in fresh], batch.rows[fresh], [batch.metadata[i] for i in fresh]
        )

    def apply(self, batch: Batch) -> None:
        """Store a checked batch (replacing items with the same ids)."""
        fresh = [i for i, item in enumerate(batch.ids) if item not in self._positions]
        for i, item in enumerate(batch.ids):
            position = self._positions.get(item)
            if position is not None:
                self._matrix.replace(position, batch.rows[i])
                self._fields.subtract(self._metadata[position].keys())
                self._metadata[position] = batch.metadata[i]
                self._fields.update(batch.metadata[i].keys())
        if not fresh:
            return
        self._matrix.append(batch.rows[fresh] if len(fresh) < len(batch.ids) else batch.rows)
        for i in fresh:
            item = batch.ids[i]
            self._positions[item] = len(self._ids)
            self._ids.append(item)
            self._metadata.append(batch.metadata[i])
            self._fields.update(batch.metadata[i].keys())

    def remove(self, ids: Sequence[str]) -> int:
        """Remove the stored ones of ``ids``; returns how many."""
        removed = 0
        for item in dict.fromkeys(ids):
            position = self._positions.pop(item, None)
            if position is None:
                continue
            removed += 1
            self._fields.subtract(self._metadata[position].keys())
            last = self._matrix.remove(position)
            moved_id, moved_metadata = self._ids.pop(), self._metadata.pop()
            if position != last:
                self._ids[position] = moved_id
                self._metadata[position] = moved_metadata
                self._positions[moved_id] = position
        return removed

    def contains(self, item: str) -> bool:
        """Whether ``item`` is stored."""
        return item in self._positions

    def find(self, query: Vector, k: int = 10, where: Where | None = None) -> list[Hit]:
        """``search``, in the calling thread."""
        check_k(k)
        row = self._matrix.query(query)
        positions: list[int] | None = None
        if where:
            check_where(where, self._fields)
            positions = [p for p, fields in enumerate(self._metadata) if matches(fields, where)]
            if not positions:
                return []
        if not self._ids:
            return []
        return [
            Hit(self._ids[p], score, dict(self._metadata[p]))
            for p, score in self._matrix.top(row, k, positions)
        ]

    async def add(
        self, ids: Sequence[str], vectors: Sequence[Vector], metadata: Sequence[Metadata] = ()
    ) -> None:
        """Store new items; see ``VectorIndex.add``."""
        self.apply(self.check(ids, vectors, metadata, replace=False))

    async def upsert(
        self, ids: Sequence[str], vectors: Sequence[Vector], metadata: Sequence[Metadata] = ()
    ) -> None:
        """Store items, replacing stored ones; see ``VectorIndex.upsert``."""
        self.apply(self.check(ids, vectors, metadata, replace=True))

    async def delete(self, ids: Sequence[str]) -> int:
        """Remove items; see ``VectorIndex.delete``."""
        check_ids_list(ids)
        return self.remove(ids)

    async def search(self, query: Vector, k: int = 10, where: Where | None = None) -> list[Hit]:
        """The ``k`` most similar items; see ``VectorIndex.search``."""
        return self.find(query, k, where)

    async def count(self) -> int:
        """How many items are stored."""
        return len(self._ids)


def check_ids_list(ids: Sequence[str]) -> None:
    """Raises ``VectorError`` when ``ids`` is a bare string rather than a list of ids."""
    if isinstance(ids, str):
        raise VectorError(f"ids is the string {ids!r}: give a list of ids, e.g. [{ids!r}]")


def _json(metadata: Metadata) -> str:
    """Metadata as canonical JSON, so a tuple equals the list it is stored as."""
    return json.dumps(metadata, sort_keys=True, ensure_ascii=False, allow_nan=False)
