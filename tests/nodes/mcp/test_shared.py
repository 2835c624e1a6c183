"""Servers shared across the runs of one process: an MCPHub the user opens, in RunOptions."""

from __future__ import annotations

import pytest

from plait import GraphBuilder
from plait.engine import RunOptions, run
from plait.graphs import Graph
from plait.nodes import ConfigError, Message, ScriptedModel, ToolCall, agent
from plait.nodes.mcp import MCPHub, MCPServer, mcp
from tests.nodes.mcp.conftest import faults, server_children

pytestmark = pytest.mark.anyio


def _pid_graph(server: MCPServer | str) -> tuple[Graph[object], ScriptedModel]:
    call = Message("assistant", (ToolCall("1", "faults__pid", {}),))
    model = ScriptedModel([call, lambda r: r.messages[-1].tool_results[0].content])
    builder = GraphBuilder("pid", inputs={"message": str})
    asker = agent("asker", model=model, tools=[mcp(server, "pid")])
    return builder.build(builder.add(asker, inputs={"message": "inputs.message"})), model


async def _pid(server: MCPServer | str, options: RunOptions | None = None) -> str:
    graph, _ = _pid_graph(server)
    result = await run(graph, {"message": "go"}, options=options)
    return str(result.output)


async def test_runs_given_one_hub_share_its_server_and_it_stops_with_the_hub() -> None:
    server = faults()
    async with MCPHub({"faults": server}) as hub:
        options = RunOptions(mcp=hub)
        first = await _pid(server, options)
        second = await _pid("faults", options)  # named only: the hub declares it
        assert first == second
        assert hub.connection("faults").starts == 1
        assert len(server_children()) == 1  # still running between runs
    assert server_children() == []  # stopped when the hub was left


async def test_by_default_each_run_starts_its_own_server() -> None:
    server = faults()
    assert await _pid(server) != await _pid(server)
    assert server_children() == []


async def test_a_closed_hub_or_a_second_declaration_is_a_clear_error() -> None:
    hub = MCPHub({"faults": faults()})
    graph, model = _pid_graph(faults())
    with pytest.raises(ConfigError, match=r"RunOptions\(mcp=\.\.\.\) is not open"):
        await run(graph, {"message": "go"}, options=RunOptions(mcp=hub))
    other = MCPServer("faults", command="python3", args=("-m", "tests.fakes.mcp_faults"))
    graph, model = _pid_graph(other)
    async with hub:
        with pytest.raises(ConfigError, match="MCP server `faults` is declared differently"):
            await run(graph, {"message": "go"}, options=RunOptions(mcp=hub))
    assert model.requests == []
