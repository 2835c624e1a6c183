"""Open the model catalogs of a graph's agents for a run, so their SDK clients are shared."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plait.graphs import Graph
    from plait.nodes import ModelCatalog

__all__ = ["catalogs_of", "open_catalogs"]


def catalogs_of(graph: Graph[object]) -> list[ModelCatalog]:
    """Every distinct catalog an agent of ``graph`` uses, at any depth, in graph order."""
    found: dict[int, ModelCatalog] = {}
    for catalog in _walk(graph):
        found.setdefault(id(catalog), catalog)
    return list(found.values())


def _walk(graph: Graph[object]) -> Iterator[ModelCatalog]:
    from plait.graphs import LoopNode, MapNode, SubgraphNode
    from plait.nodes import AgentNode

    for node in graph.nodes.values():
        if isinstance(node, AgentNode) and node.models is not None:
            yield node.models
        elif isinstance(node, SubgraphNode):
            yield from _walk(node.graph)
        elif isinstance(node, MapNode | LoopNode):
            yield from _walk(node.body)


@asynccontextmanager
async def open_catalogs(graph: Graph[object]) -> AsyncIterator[None]:
    """Hold the catalogs of ``graph``'s agents open (and close them after)."""
    async with AsyncExitStack() as stack:
        for catalog in catalogs_of(graph):
            await stack.enter_async_context(catalog)
        yield
