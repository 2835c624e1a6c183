"""A JSON spec names MCP servers declared in configuration, never a command line."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from plait import GraphBuilder, Registry, SpecError, dump, load
from plait.engine import run
from plait.nodes import AgentNode, ConfigError, ModelCatalog, PlaitConfig, ScriptedModel, agent
from plait.nodes.mcp import MCPTools, mcp, mcp_prompt
from tests.nodes.mcp.conftest import time_server

pytestmark = pytest.mark.anyio


def _spec(mcp: object) -> dict[str, object]:
    return {
        "plait": "1",
        "name": "main",
        "inputs": {"message": "str"},
        "nodes": [
            {
                "id": "clock",
                "kind": "agent",
                "agent": "clock",
                "mcp": mcp,
                "inputs": {"message": "inputs.message"},
            }
        ],
        "output": "clock",
    }


def _registry(config: PlaitConfig) -> tuple[Registry, ScriptedModel]:
    model = ScriptedModel(["It is late."])
    registry = Registry()
    registry.agent(agent("clock", model=model, models=ModelCatalog(config)))
    return registry, model


async def test_a_spec_adds_tools_of_a_configured_server() -> None:
    registry, model = _registry(PlaitConfig(mcp_servers={"time": time_server()}))
    graph = load(_spec(["time.get_current_time"]), registry)
    assert graph.nodes["clock"].mcp == (MCPTools("time", "get_current_time"),)  # type: ignore[attr-defined]
    result = await run(graph, {"message": "go"})
    assert result.output == "It is late."
    assert [spec.name for spec in model.requests[0].tools] == ["time__get_current_time"]


async def test_a_spec_naming_an_undeclared_server_fails_before_the_model_is_called() -> None:
    registry, model = _registry(PlaitConfig())
    graph = load(_spec(["time"]), registry)
    with pytest.raises(ConfigError, match="unknown MCP server `time`; declared: none"):
        await run(graph, {"message": "go"})
    assert model.requests == []


def test_a_spec_cannot_hold_a_command_line() -> None:
    registry, _ = _registry(PlaitConfig())
    with pytest.raises(SpecError) as raised:
        load(_spec(["python -m evil"]), registry)
    assert [problem.location for problem in raised.value.problems] == ["$.nodes[0].mcp[0]"]


def test_an_agents_mcp_servers_dump_to_a_spec_and_load_back() -> None:
    registry, _ = _registry(PlaitConfig(mcp_servers={"time": time_server()}))
    graph = load(_spec(["time.get_current_time", "clock2"]), registry)
    text = dump(graph, registry)
    written = json.loads(text)
    assert written["nodes"][0]["mcp"] == ["time.get_current_time", "clock2"]
    again = load(text, registry)
    assert again.content_hash == graph.content_hash
    assert again.nodes["clock"].mcp == graph.nodes["clock"].mcp  # type: ignore[attr-defined]


def test_what_a_spec_cannot_name_is_reported_at_its_path() -> None:
    registry, _ = _registry(PlaitConfig())
    graph = load(_spec(None), registry)
    clock = graph.nodes["clock"]
    assert isinstance(clock, AgentNode)
    inline = replace(clock, mcp=(mcp(time_server()), mcp_prompt("notes", "reviewer")))
    builder = GraphBuilder("main", inputs={"message": str})
    changed = builder.build(builder.add(inline, inputs={"message": "inputs.message"}))
    with pytest.raises(SpecError) as raised:
        dump(changed, registry)
    problems = {problem.location: problem.message for problem in raised.value.problems}
    assert "a spec names servers, never command lines" in problems["$.nodes[0].mcp[0]"]
    assert "is an MCP prompt, which a spec cannot name" in problems["$.nodes[0].mcp[1]"]
