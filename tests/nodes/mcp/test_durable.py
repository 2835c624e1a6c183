"""A stored run whose MCP servers will not start is recorded failed, and resumes once
they do."""

from __future__ import annotations

from pathlib import Path

import pytest

from plait import GraphBuilder
from plait.engine import RunOptions, SQLiteStore, StoredStatus, resume, run
from plait.graphs import Graph
from plait.nodes import Message, ScriptedModel, ToolCall, agent
from plait.nodes.mcp import MCPServer, MCPServerError, mcp
from tests.nodes.mcp.conftest import faults

pytestmark = pytest.mark.anyio


def _graph(server: MCPServer, model: ScriptedModel) -> Graph[object]:
    builder = GraphBuilder("stored", inputs={"message": str})
    clerk = agent("clerk", model=model, tools=[mcp(server, "echo")])
    return builder.build(builder.add(clerk, inputs={"message": "inputs.message"}))


async def test_a_server_that_will_not_start_records_the_run_failed_and_it_resumes(
    tmp_path: Path,
) -> None:
    call = Message("assistant", (ToolCall("1", "faults__echo", {"text": "hi"}),))
    model = ScriptedModel([call, lambda r: r.messages[-1].tool_results[0].content])
    broken = MCPServer("faults", command="no-such-mcp-server-command")
    async with SQLiteStore(tmp_path / "runs.db") as store:
        with pytest.raises(MCPServerError, match="command `no-such-mcp-server-command`"):
            await run(
                _graph(broken, model),
                {"message": "go"},
                options=RunOptions(store=store, run_id="r1"),
            )
        stored = await store.load("r1")
        assert stored is not None
        assert stored.run.status is StoredStatus.FAILED  # not left `running`
        assert stored.run.error is not None
        assert "MCP server `faults`: command `no-such-mcp-server-command` was not found" in (
            stored.run.error
        )
        assert model.requests == []

        result = await resume(_graph(faults(), model), "r1", store=store)
        assert result.output == "hi"
        stored = await store.load("r1")
        assert stored is not None
        assert stored.run.status is StoredStatus.SUCCEEDED
