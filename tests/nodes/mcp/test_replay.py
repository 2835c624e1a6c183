"""A graph whose agents use MCP servers replays from a cassette without starting them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plait import Cassette, CassetteMismatchError, GraphBuilder, with_cassette
from plait.engine import run
from plait.graphs import Graph
from plait.nodes import Message, ModelRequest, ScriptedModel, ToolCall, agent
from plait.nodes.mcp import MCPServer, mcp, mcp_prompt, mcp_resource
from tests.nodes.mcp.conftest import faults, server_children

pytestmark = pytest.mark.anyio

GONE = MCPServer("faults", command="no-such-mcp-server-command")
"""The server as the replay declares it: starting it would fail the run."""


def _graph(server: MCPServer, model: ScriptedModel) -> Graph[object]:
    builder = GraphBuilder("replayed", inputs={"message": str})
    clerk = agent(
        "clerk",
        model=model,
        instructions=mcp_prompt(server, "reviewer", {"topic": "owls"}),
        resources=[mcp_resource(server, "faults://notes")],
        tools=[mcp(server, "echo"), mcp(server, "pid")],
    )
    return builder.build(builder.add(clerk, inputs={"message": "inputs.message"}))


def _said(request: ModelRequest) -> str:
    return "said " + request.messages[-1].tool_results[0].content


async def test_a_recorded_run_replays_offline_with_the_recorded_tool_list(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mcp.cassette.json"
    call = Message("assistant", (ToolCall("1", "faults__echo", {"text": "hoot"}),))
    model = ScriptedModel([call, _said])
    recording = Cassette(path, mode="record")
    recorded = await run(with_cassette(_graph(faults(), model), recording), {"message": "go"})
    assert recorded.output == "said hoot"
    recording.save()
    kept = json.loads(path.read_text())["runs"][0]["mcp"]["clerk"]
    assert [item["name"] for item in kept["tools"]] == ["faults__echo", "faults__pid"]
    assert kept["prompt"].startswith("You review writing about owls.")
    assert "The answer is 42." in kept["context"]

    replaying = Cassette(path)
    silent = ScriptedModel([])
    replayed = await run(with_cassette(_graph(GONE, silent), replaying), {"message": "go"})
    assert replayed.error is None, replayed.error
    assert replayed.output == "said hoot"
    assert replaying.mismatches == []
    assert silent.requests == []
    assert server_children() == []


async def test_a_cassette_without_the_tool_list_is_a_mismatch_not_a_server_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mcp.cassette.json"
    model = ScriptedModel(["fine"])
    recording = Cassette(path, mode="record")
    await run(with_cassette(_graph(faults(), model), recording), {"message": "go"})
    recording.save()
    data = json.loads(path.read_text())
    del data["runs"][0]["mcp"]  # as written before cassettes kept MCP tool lists
    path.write_text(json.dumps(data))

    result = await run(with_cassette(_graph(GONE, model), Cassette(path)), {"message": "go"})
    assert isinstance(result.error.error, CassetteMismatchError)  # type: ignore[union-attr]
    assert "the cassette holds no MCP tool list for this node" in str(result.error)
