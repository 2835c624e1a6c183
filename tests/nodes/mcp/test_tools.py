"""MCP servers as an agent's tools: real servers over stdio, shared by a run, journaled."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from plait import GraphBuilder, RetryPolicy, node
from plait.engine import RunResult, run
from plait.graphs import Graph
from plait.nodes import (
    AgentNode,
    ConfigError,
    Message,
    ModelRequest,
    NodeFailedError,
    ScriptedModel,
    ToolCall,
    TransientProviderError,
    agent,
    tool,
)
from plait.nodes.agents._tools import Tool
from plait.nodes.mcp import MCPServerError, MCPTools, mcp, mcp_prompt, mcp_resource
from tests.nodes.mcp.conftest import faults, time_server

pytestmark = pytest.mark.anyio

FAST_RETRY = RetryPolicy(max_attempts=2, initial_delay=0.0, retry_on=(MCPServerError,))


def _call(name: str, **arguments: object) -> Message:
    return Message("assistant", (ToolCall(f"call-{name}", name, arguments),))


def _tool_text(request: ModelRequest) -> str:
    return request.messages[-1].tool_results[0].content


def _graph(*agents: AgentNode[object]) -> Graph[object]:
    builder = GraphBuilder("mcp", inputs={"message": str})
    refs = [builder.add(item, inputs={"message": "inputs.message"}) for item in agents]
    if len(refs) == 1:
        return builder.build(refs[0])

    @node
    def both(a: str, b: str) -> str:
        return f"{a} {b}"

    return builder.build(builder.add(both, inputs={"a": refs[0], "b": refs[1]}))


async def _run_one(
    model: ScriptedModel,
    tools: Sequence[Tool[..., object] | MCPTools],
    retry: RetryPolicy | None = None,
) -> RunResult[object]:
    graph = _graph(agent("a", model=model, tools=tools, retry=retry))
    return await run(graph, {"message": "go"})


async def test_an_agent_calls_a_real_servers_tool_namespaced() -> None:
    model = ScriptedModel(
        [_call("time__get_current_time", timezone="UTC"), lambda r: "It is " + _tool_text(r)]
    )
    result = await _run_one(model, [mcp(time_server())])
    assert result.error is None
    spoken = str(result.output)
    assert spoken.startswith("It is ")
    assert json.loads(spoken[len("It is ") :])["timezone"] == "UTC"
    names = [spec.name for spec in model.requests[0].tools]
    assert names == ["time__get_current_time", "time__convert_time"]
    assert "IANA" in json.dumps(dict(model.requests[0].tools[0].parameters))


async def test_the_allowlist_filters_what_the_model_sees_and_what_runs() -> None:
    model = ScriptedModel([_call("faults__hang"), lambda r: _tool_text(r)])
    result = await _run_one(model, [mcp(faults(), "echo")])
    assert [spec.name for spec in model.requests[0].tools] == ["faults__echo"]
    assert result.output == "Unknown tool `faults__hang`: this agent may call `faults__echo`."


async def test_one_server_is_shared_by_every_agent_of_a_run() -> None:
    server = faults()
    first = ScriptedModel([_call("faults__pid"), lambda r: _tool_text(r)])
    second = ScriptedModel([_call("faults__pid"), lambda r: _tool_text(r)])
    graph = _graph(
        agent("a", model=first, tools=[mcp(server)]), agent("b", model=second, tools=[mcp(server)])
    )
    result = await run(graph, {"message": "go"})
    assert result.error is None
    a, b = str(result.output).split()
    assert a == b


async def test_results_map_errors_images_and_structured_content() -> None:
    model = ScriptedModel(
        [
            Message(
                "assistant",
                (
                    ToolCall("1", "faults__fail", {}),
                    ToolCall("2", "faults__picture", {}),
                    ToolCall("3", "faults__echo", {"text": "hi"}),
                    ToolCall("4", "faults__echo", {}),
                ),
            ),
            "done",
        ]
    )
    result = await _run_one(model, [mcp(faults())])
    assert result.error is None
    fail, picture, echo, invalid = model.requests[1].messages[-1].tool_results
    assert (fail.is_error, fail.content) == (True, "Error executing tool fail")
    assert (picture.is_error, picture.content[:19]) == (False, "[image: image/png, ")
    assert (echo.is_error, echo.content) == (False, "hi")
    assert invalid.is_error  # the server validates the arguments; the model hears why


async def test_a_huge_result_arrives_whole() -> None:
    size = 2_000_000
    model = ScriptedModel([_call("faults__huge", size=size), lambda r: str(len(_tool_text(r)))])
    result = await _run_one(model, [mcp(faults(), "huge")])
    assert result.output == "2000000"


async def test_a_hanging_tool_times_out_as_a_server_error_naming_it() -> None:
    model = ScriptedModel([_call("faults__hang"), "never"])
    result = await _run_one(model, [mcp(faults(call_timeout=0.5))])
    assert isinstance(result.error, NodeFailedError)
    cause = result.error.error
    assert isinstance(cause, MCPServerError)
    assert cause.server == "faults"
    assert "no answer calling `hang` within 0.5 s" in str(cause)


async def test_a_server_dying_mid_call_is_a_server_error_and_a_retry_restarts_it(
    tmp_path: Path,
) -> None:
    marker = str(tmp_path / "died")
    died = ScriptedModel([_call("faults__die_once", marker=marker), "never"])
    result = await _run_one(died, [mcp(faults())])
    assert isinstance(result.error, NodeFailedError)
    assert isinstance(result.error.error, MCPServerError)
    assert "the server went away while calling `die_once`" in str(result.error.error)

    (tmp_path / "died").unlink()
    model = ScriptedModel([_call("faults__die_once", marker=marker), lambda r: _tool_text(r)])
    result = await _run_one(model, [mcp(faults())], retry=FAST_RETRY)
    assert result.error is None
    assert result.output == "survived"
    assert result.nodes["a"].attempts == 2  # the restart was the second attempt
    assert len(model.requests) == 2  # the first model call was replayed from the journal


async def test_a_journaled_tool_call_is_not_made_again_on_a_retry() -> None:
    flaky = TransientProviderError("try again", provider="scripted")
    model = ScriptedModel([_call("faults__tick"), flaky, lambda r: _tool_text(r)])
    retry = RetryPolicy(max_attempts=2, initial_delay=0.0, retry_on=(TransientProviderError,))
    result = await _run_one(model, [mcp(faults())], retry=retry)
    assert result.error is None
    assert result.output == "1"  # the retry replayed `tick`'s result: the server counted once


async def test_resources_are_context_and_a_prompt_is_the_instructions() -> None:
    server = faults()
    model = ScriptedModel(["ok"])
    reviewer = agent(
        "a",
        model=model,
        instructions=mcp_prompt(server, "reviewer", {"topic": "owls"}),
        resources=[mcp_resource(server, "faults://notes")],
    )
    result = await run(_graph(reviewer), {"message": "go"})
    assert result.error is None
    system = model.requests[0].system
    assert system.startswith("You review writing about owls. Be brief.")
    assert '<resource uri="faults://notes">\nThe answer is 42.\n</resource>' in system


@tool
def faults__echo(text: str) -> str:
    """A Python tool whose name collides with an MCP tool's."""
    return text


async def test_bad_references_fail_before_the_model_is_called() -> None:
    model = ScriptedModel(["never"])
    graph = _graph(
        agent("a", model=model, tools=[mcp("tiem")]),
        agent("b", model=model, tools=[mcp(time_server())]),
    )
    with pytest.raises(ConfigError, match=r"unknown MCP server `tiem` \(did you mean `time`\?\)"):
        await run(graph, {"message": "go"})
    with pytest.raises(ConfigError, match=r"has no tool `ech` \(did you mean `faults.echo`\?\)"):
        await _run_one(model, [mcp(faults(), "ech")])
    with pytest.raises(ConfigError, match="two tools are named `faults__echo`"):
        await _run_one(model, [faults__echo, mcp(faults())])
    assert model.requests == []


async def test_a_server_that_cannot_start_fails_the_run_before_the_model_is_called() -> None:
    from plait.nodes.mcp import MCPServer

    model = ScriptedModel(["never"])
    missing = MCPServer("gone", command="no-such-mcp-server-command")
    with pytest.raises(MCPServerError, match="command `no-such-mcp-server-command` was not found"):
        await _run_one(model, [mcp(missing)])
    silent = faults("faults", "silent", startup_timeout=0.5)
    with pytest.raises(MCPServerError, match=r"did not answer `initialize` within 0.5 s"):
        await _run_one(model, [mcp(silent)])
    crash = faults("faults", "crash")
    with pytest.raises(MCPServerError, match="configured to crash at start"):
        await _run_one(model, [mcp(crash)])
    assert model.requests == []
