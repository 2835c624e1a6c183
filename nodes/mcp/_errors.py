"""The error an MCP server's faults become (drawn in ``plait.nodes._errors``'s tree)."""

from __future__ import annotations

from plait.nodes._errors import PlaitError

__all__ = ["MCPServerError"]


class MCPServerError(PlaitError):
    """An MCP server could not be started, never answered, or died in the middle of a call.

    ``server`` names it. Raised before the model is called when the server fails to start;
    mid-run, the node's retry policy decides (``AGENT_RETRY`` retries it, and the next
    attempt starts the server again).
    """

    def __init__(self, server: str, message: str) -> None:
        self.server = server
        super().__init__(f"MCP server `{server}`: {message}")
