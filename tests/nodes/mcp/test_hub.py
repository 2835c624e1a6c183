"""The shared connection: tool-list refresh, and every SDK failure mapped."""

from __future__ import annotations

import anyio
import pytest

from plait.nodes import ConfigError
from plait.nodes.mcp import MCPHub, MCPServer, MCPServerError
from plait.nodes.mcp._client import Connection
from tests.nodes.mcp.conftest import faults

pytestmark = pytest.mark.anyio


async def test_the_tool_list_is_listed_once_and_again_after_it_changed() -> None:
    async with MCPHub({"faults": faults()}) as hub:
        connection = hub.connection("faults")
        first = await connection.tools()
        assert await connection.tools() is first  # listed once
        assert "extra" not in [item.name for item in first]
        assert (await connection.call("grow", {})).text == "grown"
        for _ in range(100):  # the notification arrives beside the call's answer
            if "extra" in [item.name for item in await connection.tools()]:
                break
            await anyio.sleep(0.01)
        assert "extra" in [item.name for item in await connection.tools()]
        assert connection.starts == 1


async def test_an_undeclared_server_is_named_with_the_declared_ones() -> None:
    async with MCPHub({"faults": faults()}) as hub:
        with pytest.raises(ConfigError, match=r"unknown MCP server `fault` \(did you mean"):
            hub.connection("fault")


def test_every_sdk_failure_becomes_a_server_error_naming_the_server() -> None:
    from mcp import MCPError

    connection = Connection(MCPServer("s", command="x", call_timeout=2), None)  # type: ignore[arg-type]
    timeout = connection._fault(MCPError(-32001, "timed out"), "calling `t`")
    assert str(timeout) == (
        "MCP server `s`: no answer calling `t` within 2 s (raise call_timeout, or fix the tool)"
    )
    closed = connection._fault(MCPError(-32000, "Connection closed"), "calling `t`")
    assert "the server went away while calling `t`" in str(closed)
    for error in (
        MCPError(-32603, "internal"),
        MCPError(-32602, "bad"),
        ValueError("malformed result"),
        OSError("pipe"),
    ):
        mapped = connection._fault(error, "listing its tools")
        assert isinstance(mapped, MCPServerError)
        assert mapped.server == "s"
    started = connection._start_error(FileNotFoundError("x"))
    assert "command `x` was not found" in str(started)
    grouped = connection._start_error(ExceptionGroup("tasks", [ConnectionError("refused")]))
    assert "ConnectionError: refused" in str(grouped)


def test_a_declaration_needs_a_command_or_a_url_and_a_namespacing_name() -> None:
    with pytest.raises(ConfigError, match="give either `command`"):
        MCPServer("s")
    with pytest.raises(ConfigError, match="single `_`s"):
        MCPServer("a__b", command="x")
