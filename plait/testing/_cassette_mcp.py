"""What an agent's MCP servers gave it, kept in a cassette so a replay starts no server.

Recording, the tools a server listed (as the model saw them), the prompt and the resource
text go into the reel beside the node's calls, masked as its calls are. Replaying, the
agent is given them back: its model sees the same tools and system prompt, and each tool
is a stand-in that never runs (the journal answers its calls). So a graph whose agents
use MCP servers replays with no server installed, or reachable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from plait.nodes import RunContext, ToolCall, ToolResult
from plait.nodes.mcp import AgentParts, MCPTool, listed_tool
from plait.testing._cassette_journal import CassetteJournal

__all__ = ["parts_data", "replayed_parts"]


def parts_data(parts: AgentParts) -> dict[str, object]:
    """``parts`` as the cassette keeps them."""
    tools = [
        {"name": spec.name, "description": spec.description, "parameters": dict(spec.parameters)}
        for spec in (item.spec for item in parts.tools)
    ]
    return {"tools": tools, "prompt": parts.prompt, "context": parts.context}


def replayed_parts(data: Mapping[str, object]) -> AgentParts:
    """The parts a recording kept, with stand-in tools."""
    listed = data.get("tools")
    tools = (
        [item for item in listed if isinstance(item, Mapping)] if isinstance(listed, list) else []
    )
    prompt = data.get("prompt")
    return AgentParts(
        tuple(_stand_in(item) for item in tools),
        prompt if isinstance(prompt, str) else None,
        str(data.get("context") or ""),
    )


def _stand_in(item: Mapping[str, object]) -> MCPTool:
    schema = item.get("parameters")
    listed = listed_tool(
        str(item.get("name", "")),
        str(item.get("description") or ""),
        schema if isinstance(schema, Mapping) else {},
    )
    return _ReplayedTool(**{field.name: getattr(listed, field.name) for field in fields(MCPTool)})


@dataclass(frozen=True, slots=True)
class _ReplayedTool(MCPTool):
    """A replayed MCP tool: the journal answers its calls; one it cannot is a mismatch."""

    async def invoke(self, call: ToolCall, context: RunContext | None = None) -> ToolResult:
        journal = None if context is None else context.journal
        if not isinstance(journal, CassetteJournal):
            raise TypeError("a replayed tool answers only inside its cassette agent")
        raise journal.unrecorded_tool(call)
