"""The ``VectorIndex`` protocol, its search ``Hit``, metadata values and ``VectorError``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias, runtime_checkable

from plait.nodes._errors import PlaitError

__all__ = ["Hit", "JsonValue", "Metadata", "Vector", "VectorError", "VectorIndex", "Where"]

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
"""A value JSON can hold: what metadata is made of."""

Metadata: TypeAlias = Mapping[str, JsonValue]
"""An item's metadata: field name -> JSON value."""

Where: TypeAlias = Mapping[str, JsonValue]
"""A metadata filter: every named field must equal its value."""

Vector: TypeAlias = Sequence[float]
"""One embedding: a sequence of floats (a list, a tuple or a 1-d numpy array)."""


class VectorError(PlaitError):
    """A vector index refused a request: a wrong dimension, a NaN, an unknown metadata
    field in a filter, a duplicate or bad id. Nothing of the refused batch was stored."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the item's id, its cosine similarity to the query, its metadata."""

    id: str
    score: float
    metadata: dict[str, object] = field(default_factory=dict)
    """JSON values (checked when the item was added): typed ``object`` so a checkpoint
    stores and restores them as plain JSON."""


@runtime_checkable
class VectorIndex(Protocol):
    """Vectors of one fixed dimension, each with an id and metadata, searched exactly by
    cosine similarity.

    A batch is stored whole or not at all: one bad vector, id or metadata in it raises
    ``VectorError`` and changes nothing.
    """

    @property
    def dimension(self) -> int:
        """The length every vector of the index has."""
        ...

    async def add(
        self, ids: Sequence[str], vectors: Sequence[Vector], metadata: Sequence[Metadata] = ()
    ) -> None:
        """Store new items; ``metadata`` is empty or one mapping per item.

        An item already stored with the same metadata and the same vector (cosine
        similarity at least 0.999) is left as it is: adding it again is a no-op, so a
        retried or resumed node may repeat its ``add``.

        Raises:
            VectorError: when an id is already stored with another vector or other
                metadata, an id is repeated in the batch, or any vector or metadata is bad.
        """
        ...

    async def upsert(
        self, ids: Sequence[str], vectors: Sequence[Vector], metadata: Sequence[Metadata] = ()
    ) -> None:
        """Store items, replacing those whose id is already stored.

        Raises:
            VectorError: when any id, vector or metadata of the batch is bad.
        """
        ...

    async def delete(self, ids: Sequence[str]) -> int:
        """Remove the items with these ids; ids not stored are ignored. Returns how many
        were removed."""
        ...

    async def search(self, query: Vector, k: int = 10, where: Where | None = None) -> list[Hit]:
        """The ``k`` items most similar to ``query`` (best first) among those whose
        metadata matches ``where``.

        Raises:
            VectorError: when the query is bad, ``k`` is not positive, or ``where`` names
                a field no stored item has.
        """
        ...

    async def count(self) -> int:
        """How many items are stored."""
        ...
