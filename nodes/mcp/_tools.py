"""MCP tools as plait ``Tool``s: the agent loop, the effect journal and cassettes see an
ordinary tool; calling it calls the server through the run's shared connection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from plait.nodes._context import RunContext
from plait.nodes._values import Arguments
from plait.nodes.agents._tools import Tool
from plait.nodes.llm._messages import ToolCall, ToolResult
from plait.nodes.llm._model import ToolSpec
from plait.nodes.mcp._client import Connection, RemoteTool
from plait.nodes.mcp._refs import namespaced

__all__ = ["MCPTool", "listed_tool", "mcp_tool"]

_NO_ARGUMENTS = Arguments("mcp_tool_arguments", [])


async def _unbound(**arguments: object) -> object:
    raise RuntimeError("an MCP tool is called through its connection")


@dataclass(frozen=True, slots=True)
class MCPTool(Tool[..., object]):
    """Tool ``remote`` of MCP server ``server``, named ``server__remote`` for the model."""

    server: str = ""
    remote: str = ""
    schema: Mapping[str, object] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )
    connection: Connection | None = field(default=None, repr=False, compare=False)

    @property
    def spec(self) -> ToolSpec:
        """The tool as the model sees it: the server's own JSON Schema."""
        return ToolSpec(self.name, self.description, self.schema)

    async def invoke(self, call: ToolCall, context: RunContext | None = None) -> ToolResult:
        """Call the server; ``isError`` comes back as an error result.

        Raises:
            MCPServerError: the server died or hung (the retry policy decides).
        """
        if self.connection is None:
            raise RuntimeError(f"tool `{self.name}` has no MCP server behind it (a recording's)")
        trace = context.trace if context is not None else None
        meta = trace(call.id) if trace is not None else None  # the run's trace, if traced
        outcome = await self.connection.call(self.remote, call.arguments, meta)
        return ToolResult(call.id, outcome.text, is_error=outcome.is_error, name=self.name)


def mcp_tool(server: str, remote: RemoteTool, connection: Connection) -> MCPTool:
    """``remote`` of ``server`` as a tool bound to ``connection``."""
    return MCPTool(
        name=namespaced(server, remote.name),
        description=remote.description,
        fn=_unbound,
        arguments=_NO_ARGUMENTS,
        is_async=True,
        server=server,
        remote=remote.name,
        schema=remote.input_schema,
        connection=connection,
    )


def listed_tool(name: str, description: str, schema: Mapping[str, object]) -> MCPTool:
    """A tool as a recording lists it (``name`` as the model saw it), with no server
    behind it: what a replayed agent shows its model."""
    server, _, remote = name.partition("__")
    return MCPTool(
        name=name,
        description=description,
        fn=_unbound,
        arguments=_NO_ARGUMENTS,
        is_async=True,
        server=server,
        remote=remote,
        schema=MappingProxyType(dict(schema)),
    )
