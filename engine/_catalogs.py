"""A run holds its agents' model catalogs open, so their SDK clients are built once and
shared by every call of the run (``nodes/llm/providers/_clients.py``); agents that name no
catalog share one default catalog for the run, handed to them in the ``RunContext``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plait.engine._scheduler import Scheduler
    from plait.graphs import Graph
    from plait.nodes import ModelCatalog

__all__ = ["catalogs_of", "run_models", "run_resources"]


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
async def run_models(graph: Graph[object]) -> AsyncIterator[ModelCatalog]:
    """Hold the catalogs of ``graph``'s agents open, and a default one for the agents that
    name none (yielded); close them all after."""
    from plait.nodes import ModelCatalog

    default = ModelCatalog()
    async with AsyncExitStack() as stack:
        for catalog in (*catalogs_of(graph), default):
            await stack.enter_async_context(catalog)
        yield default


@asynccontextmanager
async def run_resources(scheduler: Scheduler) -> AsyncIterator[None]:
    """Hold what a run's agents share open for the run: the model catalogs (the default
    one in ``scheduler.models``) and the MCP servers (``scheduler.mcp``, started and
    checked before any node runs: ``engine/_mcp.py``)."""
    from plait.engine._mcp import run_mcp

    graph = scheduler.graph
    async with (
        run_models(graph) as scheduler.models,
        run_mcp(graph, scheduler.options.mcp) as scheduler.mcp,
    ):
        yield
