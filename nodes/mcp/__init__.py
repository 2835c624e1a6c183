"""MCP servers as tool sources: declarations, the one client module, tools, resources and
prompts. ``from plait.nodes.mcp import MCPServer, mcp`` (``plait.nodes`` has the rest but
not ``mcp``, which is this folder's name there)."""

from plait.nodes.mcp._errors import MCPServerError
from plait.nodes.mcp._hub import AgentParts, MCPHub
from plait.nodes.mcp._refs import (
    MCPPrompt,
    MCPReference,
    MCPResource,
    MCPTools,
    mcp,
    mcp_prompt,
    mcp_resource,
)
from plait.nodes.mcp._server import MCPServer
from plait.nodes.mcp._tools import MCPTool, listed_tool

__all__ = [
    "AgentParts",
    "MCPHub",
    "MCPPrompt",
    "MCPReference",
    "MCPResource",
    "MCPServer",
    "MCPServerError",
    "MCPTool",
    "MCPTools",
    "listed_tool",
    "mcp",
    "mcp_prompt",
    "mcp_resource",
]
