"""``@modelcontextprotocol/server-everything`` from npm, over stdio and streamable HTTP.

``scripts/ci/mcp.sh`` installs it into a local folder (``.mcp-servers``, or the folder in
``PLAIT_TEST_MCP_EVERYTHING``). Without it these tests skip, saying so; with ``CI=true``
they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from plait import GraphBuilder
from plait.engine import run
from plait.nodes import Message, ScriptedModel, ToolCall, agent
from plait.nodes.mcp import MCPServer, mcp
from tests.nodes.mcp.conftest import ROOT

pytestmark = pytest.mark.anyio


def _folder() -> Path:
    folder = Path(os.environ.get("PLAIT_TEST_MCP_EVERYTHING") or ROOT / ".mcp-servers")
    binary = folder / "node_modules" / ".bin" / "mcp-server-everything"
    reason = ""
    if shutil.which("node") is None:
        reason = "node is not installed"
    elif not binary.exists():
        reason = f"{binary} is missing"
    if reason:
        message = (
            f"server-everything: {reason} (install it: . scripts/ci/mcp.sh; install_mcp_everything)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


async def _ask(server: MCPServer) -> tuple[str, list[str]]:
    calls = (
        ToolCall("1", "everything__echo", {"message": "hello"}),
        ToolCall("2", "everything__get-sum", {"a": 2, "b": 3}),
    )
    model = ScriptedModel(
        [
            Message("assistant", calls),
            lambda request: " | ".join(r.content for r in request.messages[-1].tool_results),
        ]
    )
    builder = GraphBuilder("everything", inputs={"message": str})
    graph = builder.build(
        builder.add(
            agent("a", model=model, tools=[mcp(server)]), inputs={"message": "inputs.message"}
        )
    )
    result = await run(graph, {"message": "go"})
    assert result.error is None
    return str(result.output), [spec.name for spec in model.requests[0].tools]


async def test_stdio() -> None:
    server = MCPServer("everything", command=str(_folder()), args=("stdio",))
    output, names = await _ask(server)
    assert "everything__echo" in names
    assert "everything__get-sum" in names
    assert "Echo: hello" in output
    assert "5" in output.split(" | ")[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def http_url() -> AsyncIterator[str]:
    binary = _folder()
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "NODE_OPTIONS": f"--require {ROOT / 'tests' / 'fakes' / 'loopback.cjs'}",
    }
    process = await anyio.open_process(
        [str(binary), "streamableHttp"], env=env, stdout=None, stderr=None
    )
    try:
        with anyio.fail_after(20):
            while True:
                try:
                    stream = await anyio.connect_tcp("127.0.0.1", port)
                except OSError:
                    await anyio.sleep(0.05)
                    continue
                await stream.aclose()
                break
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        with anyio.CancelScope(shield=True):
            await process.wait()
            await process.aclose()


# Under trio the SDK's SSE reader leaves httpx2's async generators to the garbage collector
# when the session closes (upstream: mcp 2.3.0 streamable_http.py); trio reports them.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_streamable_http(http_url: str) -> None:
    output, names = await _ask(MCPServer("everything", url=http_url))
    assert "everything__echo" in names
    assert "Echo: hello" in output
