"""A run holds its agents' MCP servers open: each starts once, before any node runs (so a
server that will not start, an unknown server or tool and a tool-name collision fail the
run before a model is called), is shared by every agent of the run, and is stopped when
the run ends or is cancelled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plait.graphs import Graph
    from plait.nodes import AgentNode, MCPHub, MCPServer

__all__ = ["graph_mcp", "mcp_agents", "run_mcp", "server_declarations"]


def mcp_agents(graph: Graph[object]) -> Iterator[AgentNode[object]]:
    """Every agent of ``graph`` (at any depth) that uses an MCP server."""
    from plait.graphs import LoopNode, MapNode, SubgraphNode
    from plait.nodes import AgentNode

    for node in graph.nodes.values():
        if isinstance(node, AgentNode) and node.mcp_servers:
            yield node
        elif isinstance(node, SubgraphNode):
            yield from mcp_agents(node.graph)
        elif isinstance(node, MapNode | LoopNode):
            yield from mcp_agents(node.body)


def server_declarations(agents: list[AgentNode[object]]) -> dict[str, MCPServer]:
    """The servers ``agents`` may name: those declared with a reference, and those of their
    catalogs' configuration (``plait.yaml``'s ``mcp: servers:``).

    Raises:
        ConfigError: when one name is declared two different ways.
    """
    from plait.nodes import ConfigError

    found: dict[str, MCPServer] = {}
    problems: list[str] = []
    for node in agents:
        configured = node.models.config.mcp_servers if node.models is not None else {}
        given = {ref.server: ref.declared for ref in node.mcp_servers if ref.declared is not None}
        for name, server in (*configured.items(), *given.items()):
            if found.setdefault(name, server) != server:
                problems.append(
                    f"MCP server `{name}` is declared twice, differently (agent `{node.id}`); "
                    "declare it once and name it"
                )
    if problems:
        raise ConfigError(sorted(set(problems)))
    return found


@asynccontextmanager
async def graph_mcp(graph: Graph[object]) -> AsyncIterator[MCPHub | None]:
    """Open the servers ``graph``'s agents use, to share across its runs (``RunOptions(
    mcp=hub)``, as ``plait mcp serve`` does): started and checked now, stopped after.
    Yields None when no agent uses one.

    Raises:
        ConfigError: an unknown server or tool, a tool-name collision, or one name
            declared two different ways.
        MCPServerError: a server could not be started or initialised.
    """
    agents = list(mcp_agents(graph))
    if not agents:
        yield None
        return
    from plait.nodes import MCPHub

    async with MCPHub(server_declarations(agents)) as hub:
        await _check(hub, agents)
        yield hub


@asynccontextmanager
async def run_mcp(
    graph: Graph[object], shared: MCPHub | None = None
) -> AsyncIterator[MCPHub | None]:
    """Start and check the MCP servers of ``graph``'s agents; yield them (``None`` when no
    agent uses one); stop them all after. The servers of ``shared`` (the user's hub, open
    across runs) are used as they are, and left running.

    Raises:
        ConfigError: an unknown server or tool, or a tool-name collision.
        MCPServerError: a server could not be started or initialised.
    """
    agents = list(mcp_agents(graph))
    if not agents:
        yield None
        return
    from plait.nodes import MCPHub

    async with MCPHub(server_declarations(agents), shared=shared) as hub:
        await _check(hub, agents)
        yield hub


async def _check(hub: MCPHub, agents: list[AgentNode[object]]) -> None:
    await hub.check(
        (node.id, node.mcp_servers, [item.name for item in node.tools]) for node in agents
    )
