"""The secrets of MCP servers declared in Python, or held only by a shared MCPHub, are
masked at every sink: events, the trace, the checkpoint (outputs and the failure), the
CLI's ``--json`` and error line. The servers answer with them (``token``: the env value it
was started with; ``authorization``: the header the call came with), so they would leak."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from plait import GraphBuilder, node
from plait.engine import Event, NodeFailed, RunFinished, RunOptions, TraceRecorder, open_store, run
from plait.graphs import Graph
from plait.nodes import Message, ScriptedModel, Secret, ToolCall, agent
from plait.nodes.mcp import MCPHub, MCPServer, mcp
from tests.nodes.mcp.conftest import ROOT

pytestmark = pytest.mark.anyio

TOKEN = "faults-env-token-7c1d2e3f"
HEADER = "Bearer faults-header-9a8b7c6d"


def leaks(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [value for value in (TOKEN, HEADER) if value.encode() in data]


@pytest.fixture
def remote() -> Iterator[str]:
    """The fault server over streamable HTTP on loopback; its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [sys.executable, "-m", "tests.fakes.mcp_faults", "http", str(port)]
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the HTTP fault server did not listen"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _stored(folder: Path) -> bytes:
    """The SQLite store's bytes: the database and its write-ahead log."""
    return b"".join(path.read_bytes() for path in sorted(folder.glob("runs.db*")))


def servers(url: str) -> tuple[MCPServer, MCPServer]:
    local = MCPServer(
        "local",
        command=sys.executable,
        args=("-m", "tests.fakes.mcp_faults"),
        cwd=str(ROOT),
        env={"FAULTS_TOKEN": TOKEN},
    )
    return local, MCPServer("remote", url=url, headers={"Authorization": Secret(HEADER)})


@node
def publish(text: str) -> str:
    """Refuses what it is given, quoting it: the failure's message holds the secrets."""
    raise PermissionError(f"not allowed to publish {text!r}")


def leaky(local: MCPServer | str, remote: MCPServer | str) -> Graph[object]:
    calls = (ToolCall("1", "local__token", {}), ToolCall("2", "remote__authorization", {}))
    model = ScriptedModel(
        [
            Message("assistant", calls),
            lambda request: " ".join(r.content for r in request.messages[-1].tool_results),
        ]
    )
    builder = GraphBuilder("leaky", inputs={"message": str})
    asker = agent("asker", model=model, tools=[mcp(local), mcp(remote)])
    said = builder.add(asker, inputs={"message": "inputs.message"})
    return builder.build(builder.add(publish, inputs={"text": said}))


# On trio, the SDK's streamable HTTP client leaves its httpx2 SSE generators unfinished when
# the session closes (as in tests/cli/test_mcp_serve.py): the client's warning, not plait's.
@pytest.mark.filterwarnings("ignore:Async generator 'httpx2\\.:ResourceWarning")
@pytest.mark.filterwarnings("ignore:Async generator 'httpcore2\\.:ResourceWarning")
@pytest.mark.parametrize("declared", ["inline", "shared hub"])
async def test_server_secrets_reach_no_sink(declared: str, remote: str, tmp_path: Path) -> None:
    local, http = servers(remote)
    hub = MCPHub({"local": local, "remote": http})
    graph = leaky(local, http) if declared == "inline" else leaky("local", "remote")
    recorder = TraceRecorder(graph)
    events: list[Event] = []
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    await store.open()
    try:
        async with hub:
            options = RunOptions(store=store, mcp=hub if declared == "shared hub" else None)
            result = await run(
                graph, {"message": "go"}, options=options, listeners=(events.append, recorder)
            )
    finally:
        await store.close()

    assert result.status.value == "failed"
    assert sorted(leaks(str(result.error))) == [HEADER, TOKEN]  # they were there to leak
    for event in events:
        if isinstance(event, NodeFailed | RunFinished):  # errors: masked by who renders them
            assert {HEADER, TOKEN} <= set(event.secrets.reveal())
        else:
            assert leaks(repr(event)) == [], f"event {type(event).__name__}"
    assert leaks(recorder.trace().to_json()) == []
    stored = _stored(tmp_path)
    assert b"not allowed to publish" in stored
    assert leaks(stored) == []


def test_the_cli_masks_them_in_json_and_its_error_line(remote: str, tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "plait", "run", "tests.nodes.mcp.cli_leaky:graph"]
    argv += ["--input", '{"message": "go"}', "--store", f"sqlite:///{tmp_path / 'runs.db'}"]
    argv += ["--json", "--trace", str(tmp_path / "run.trace.json")]
    env = {**os.environ, "PLAIT_TEST_FAULTS_URL": remote}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=120, check=False)

    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["status"] == "failed"
    assert "not allowed to publish '********** **********'" in document["error"]
    assert b"plait: error: " in done.stderr
    assert leaks(done.stdout) == []
    assert leaks(done.stderr) == []
    assert leaks((tmp_path / "run.trace.json").read_bytes()) == []


def test_resume_and_fork_mask_them_in_their_report_too(remote: str, tmp_path: Path) -> None:
    """``resume --fresh`` and ``fork --at`` run the agent again (its calls answered with
    the secrets anew): their ``--json`` report, their error line and the records they add
    are masked with the Python-declared servers' secrets, as ``run``'s are."""
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    env = {**os.environ, "PLAIT_TEST_FAULTS_URL": remote}
    target = "tests.nodes.mcp.cli_leaky:graph"

    def plait(*arguments: str) -> subprocess.CompletedProcess[bytes]:
        argv = [sys.executable, "-m", "plait", *arguments, "--store", store]
        return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=120,
                              check=False)  # fmt: skip

    first = plait("run", target, "--input", '{"message": "go"}', "--json")
    run_id = json.loads(first.stdout)["run_id"]
    for done in (
        plait("resume", run_id, "--graph", target, "--json", "--fresh", "asker"),
        plait("fork", run_id, "--graph", target, "--json", "--at", "asker"),
    ):
        assert done.returncode == 1, done.stderr
        document = json.loads(done.stdout)
        assert document["status"] == "failed"
        assert "not allowed to publish '********** **********'" in document["error"]
        assert leaks(done.stdout) == []
        assert leaks(done.stderr) == []
    assert leaks(_stored(tmp_path)) == []
