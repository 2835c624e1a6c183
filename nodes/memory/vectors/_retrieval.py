"""Retrieval: ``VectorMemory`` (an index and the embedder that fills it), the tool an
agent searches it with, and the node a graph searches it with."""

from __future__ import annotations

import json
import typing
from collections.abc import Sequence

from plait.nodes._function import FunctionNode, to_node
from plait.nodes.agents._tools import Tool
from plait.nodes.agents._tools import tool as make_tool
from plait.nodes.memory.vectors._embedders import Embedder, check_texts
from plait.nodes.memory.vectors._protocol import (
    Hit,
    JsonValue,
    Metadata,
    VectorError,
    VectorIndex,
    Where,
)

__all__ = ["TEXT_FIELD", "VectorMemory", "format_hits", "retrieval_node", "retrieval_tool"]

TEXT_FIELD = "text"
"""The metadata field where ``VectorMemory`` keeps each item's text."""


class VectorMemory:
    """Texts searched by meaning: ``embedder`` turns them into vectors kept in ``index``
    (with the text in the ``text`` metadata field)."""

    def __init__(self, index: VectorIndex, embedder: Embedder) -> None:
        if index.dimension != embedder.dimension:
            raise VectorError(
                f"{embedder.name} makes {embedder.dimension}-dimensional vectors but the index "
                f"holds {index.dimension}: make the index with dimension={embedder.dimension}"
            )
        self.index = index
        self.embedder = embedder

    def __repr__(self) -> str:
        return f"VectorMemory({self.index!r}, {self.embedder!r})"

    async def _items(
        self, ids: Sequence[str], texts: Sequence[str], metadata: Sequence[Metadata]
    ) -> tuple[list[list[float]], list[dict[str, JsonValue]]]:
        check_texts(texts)
        if len(texts) != len(ids):
            raise VectorError(f"{len(ids)} ids but {len(texts)} texts: give one text per id")
        if metadata and len(metadata) != len(ids):
            raise VectorError(
                f"{len(ids)} ids but {len(metadata)} metadata mappings: give one per id, or none"
            )
        fields = list(metadata) or [{} for _ in ids]
        for item, extra in zip(ids, fields, strict=True):
            if TEXT_FIELD in extra:
                raise VectorError(
                    f"metadata of {item!r} has the field {TEXT_FIELD!r}, where VectorMemory "
                    "keeps the text: rename the field"
                )
        vectors = await self.embedder.embed(texts)
        merged = [{**extra, TEXT_FIELD: text} for extra, text in zip(fields, texts, strict=True)]
        return vectors, merged

    async def add(
        self, ids: Sequence[str], texts: Sequence[str], metadata: Sequence[Metadata] = ()
    ) -> None:
        """Embed and store new texts (all or none).

        Raises:
            VectorError: for an id already stored, or bad ids, texts or metadata.
        """
        vectors, merged = await self._items(ids, texts, metadata)
        await self.index.add(ids, vectors, merged)

    async def upsert(
        self, ids: Sequence[str], texts: Sequence[str], metadata: Sequence[Metadata] = ()
    ) -> None:
        """Embed and store texts, replacing those with the same ids."""
        vectors, merged = await self._items(ids, texts, metadata)
        await self.index.upsert(ids, vectors, merged)

    async def delete(self, ids: Sequence[str]) -> int:
        """Remove texts by id; returns how many were stored."""
        return await self.index.delete(ids)

    async def search(self, query: str, k: int = 5, where: Where | None = None) -> list[Hit]:
        """The ``k`` stored texts closest in meaning to ``query``, best first.

        Raises:
            VectorError: for a bad ``k`` or a filter naming an unknown field.
        """
        if not isinstance(query, str):
            raise VectorError(f"query is {type(query).__name__}: expected a string")
        [vector] = await self.embedder.embed([query])
        return await self.index.search(vector, k, where)


def format_hits(hits: Sequence[Hit]) -> str:
    """Hits as text for a model: rank, id, score, the text, then the other metadata."""
    if not hits:
        return "No results."
    lines: list[str] = []
    for rank, hit in enumerate(hits, 1):
        text = hit.metadata.get(TEXT_FIELD)
        lines.append(f"{rank}. [{hit.id}] score={hit.score:.3f}: {text if text else ''}".rstrip())
        extra = {name: value for name, value in hit.metadata.items() if name != TEXT_FIELD}
        if extra:
            lines.append(f"   metadata: {json.dumps(extra, sort_keys=True, ensure_ascii=False)}")
    return "\n".join(lines)


def retrieval_tool(
    memory: VectorMemory,
    *,
    name: str = "search_memory",
    description: str | None = None,
    k: int = 5,
    where: Where | None = None,
) -> Tool[..., object]:
    """A tool an agent searches ``memory`` with: it gives a query (and how many results,
    at most ``k``) and reads the hits as text with their ids and metadata. ``where``
    restricts every search to items whose metadata matches it."""
    limit = k

    async def search(query: str, k: int = limit) -> str:
        """Args:
        query: what to look for, in words; results are ranked by meaning.
        k: how many results to return.
        """
        return format_hits(await memory.search(query, max(1, min(k, limit)), where))

    text = description or (
        f"Search the memory for the stored texts closest in meaning to a query "
        f"(at most {limit} results, best first, with their ids and metadata)."
    )
    return make_tool(name=name, description=text)(search)


def retrieval_node(
    memory: VectorMemory, *, id: str = "retrieve", k: int = 5, where: Where | None = None
) -> FunctionNode[list[Hit]]:
    """A graph node: input ``query: str``, output the ``k`` best ``Hit``s (best first)."""

    async def retrieve(query: str) -> list[Hit]:
        return await memory.search(query, k, where)

    return typing.cast(FunctionNode[list[Hit]], to_node(retrieve, id=id))
