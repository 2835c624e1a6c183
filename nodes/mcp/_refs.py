"""What an agent takes from MCP servers: tools (``mcp``), resources and a prompt.

References name a server; its declaration comes with the reference (``MCPServer``) or
from the configuration the run uses (``plait.yaml``'s ``mcp: servers:``), looked up when
the run starts, before any model is called.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from plait.nodes._errors import ConfigError
from plait.nodes.mcp._server import MCPServer

__all__ = [
    "MCPPrompt",
    "MCPReference",
    "MCPResource",
    "MCPTools",
    "mcp",
    "mcp_prompt",
    "mcp_resource",
    "namespaced",
]

SEPARATOR = "__"


def namespaced(server: str, tool: str) -> str:
    """The name a model sees for ``tool`` of ``server``: ``server__tool``."""
    return f"{server}{SEPARATOR}{tool}"


@dataclass(frozen=True, slots=True)
class MCPTools:
    """The tools of one server an agent may call: all of them, or the one named."""

    server: str
    tool: str | None = None
    declared: MCPServer | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return self.server if self.tool is None else f"{self.server}.{self.tool}"


@dataclass(frozen=True, slots=True)
class MCPResource:
    """A resource of a server, given to an agent as context."""

    server: str
    uri: str
    declared: MCPServer | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.server}:{self.uri}"


@dataclass(frozen=True, slots=True)
class MCPPrompt:
    """A prompt of a server, used as an agent's instructions."""

    server: str
    name: str
    arguments: tuple[tuple[str, str], ...] = ()
    """The prompt's arguments, as sorted (name, value) pairs."""
    declared: MCPServer | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.server}.{self.name}"


MCPReference = MCPTools | MCPResource | MCPPrompt
"""Anything an agent takes from an MCP server."""


def _server(server: str | MCPServer) -> tuple[str, MCPServer | None]:
    return (server.name, server) if isinstance(server, MCPServer) else (server, None)


def mcp(reference: str | MCPServer, tool: str | None = None) -> MCPTools:
    """Tools from an MCP server for an agent's ``tools=``: ``mcp("time")`` (every tool),
    ``mcp("time.get_current_time")`` (one), or ``mcp(MCPServer(...))`` declared here.

    Raises:
        ConfigError: for an empty server or tool name.
    """
    name, declared = _server(reference)
    if declared is None and tool is None and "." in name:
        name, tool = name.split(".", 1)
    if not name or tool == "":
        raise ConfigError(
            f"mcp({reference!r}): expected `SERVER` or `SERVER.TOOL` (e.g. `time` or "
            "`time.get_current_time`)"
        )
    return MCPTools(name, tool, declared)


def mcp_resource(server: str | MCPServer, uri: str) -> MCPResource:
    """Resource ``uri`` of ``server``, for an agent's ``resources=``."""
    name, declared = _server(server)
    return MCPResource(name, uri, declared)


def mcp_prompt(
    server: str | MCPServer, name: str, arguments: Mapping[str, str] | None = None
) -> MCPPrompt:
    """Prompt ``name`` of ``server`` (with ``arguments``), for an agent's ``instructions=``."""
    server_name, declared = _server(server)
    pairs = tuple(sorted((str(key), str(value)) for key, value in (arguments or {}).items()))
    return MCPPrompt(server_name, name, pairs, declared)
