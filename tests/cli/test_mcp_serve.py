"""``plait mcp serve``: a graph as one MCP tool, driven by the ``mcp`` SDK's own clients.

Every server is a real ``python -m plait mcp serve`` process; after each test none is
left (``ps`` is asked).
"""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import mcp_types as types
import pytest
from anyio.abc import Process
from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.session import ClientRequestContext, ElicitationFnT
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

import plait.cli
from tests.cli import cli_mcp_graphs

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.anyio
ORDER = {"item": "tea", "quantity": 2}
SHOP = "tests.cli.cli_mcp_graphs:shop"
COUNTED = "tests.cli.cli_mcp_graphs:counted"


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A SQLite store in this test's own folder (its path marks the test's processes)."""
    return f"sqlite:///{tmp_path / 'runs.db'}"


def _serve(target: str, store: str) -> list[str]:
    return [sys.executable, "-m", "plait", "mcp", "serve", target, "--store", store]


@asynccontextmanager
async def _stdio(
    target: str,
    store: str,
    log: Path,
    elicit: ElicitationFnT | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[ClientSession]:
    """A handshake-era session with a ``plait mcp serve`` process over stdio."""
    argv = _serve(target, store)
    server = StdioServerParameters(command=argv[0], args=argv[1:], cwd=ROOT, env=env)
    with log.open("w") as errlog:
        async with (
            stdio_client(server, errlog=errlog) as (read, write),
            ClientSession(read, write, elicitation_callback=elicit) as session,
        ):
            await session.initialize()
            yield session


async def _left_behind(marker: str) -> list[str]:
    """The processes whose command line holds ``marker``."""
    listing = await anyio.run_process(["ps", "-ww", "-eo", "pid,args"])
    return [line for line in listing.stdout.decode().splitlines() if marker in line]


async def _plait(*argv: str) -> subprocess.CompletedProcess[bytes]:
    return await anyio.run_process([sys.executable, "-m", "plait", *argv], cwd=ROOT, check=False)


def _text(result: types.CallToolResult) -> str:
    first = result.content[0]
    assert isinstance(first, types.TextContent)
    return first.text


async def test_the_tool_takes_the_graph_inputs_and_returns_its_output(
    store: str, tmp_path: Path
) -> None:
    with anyio.fail_after(60):
        async with _stdio(
            "tests.cli.cli_mcp_graphs:shop", store, tmp_path / "server.log"
        ) as session:
            (tool,) = (await session.list_tools()).tools
            result = await session.call_tool("shop", {"order": ORDER, "note": "gift"})
            bad = await session.call_tool("shop", {"order": {"quantity": "two"}, "note": 5})
            unknown = await session.call_tool("shop", {"order": ORDER, "note": "", "extra": 1})
        assert await _left_behind(str(tmp_path)) == []
        listing = await _plait("runs", "--store", store, "--json")

    assert tool.name == "shop"
    schema = tool.input_schema
    assert schema["required"] == ["order", "note"]
    assert schema["properties"]["note"] == {"title": "Note", "type": "string"}
    assert schema["properties"]["order"] == {"$ref": "#/$defs/Order"}
    assert schema["$defs"]["Order"]["required"] == ["item"]
    assert tool.output_schema is not None
    assert tool.output_schema["title"] == "Receipt"

    assert not result.is_error
    receipt = {"item": "tea", "total": 6, "note": "gift"}
    assert result.structured_content == receipt
    assert json.loads(_text(result)) == receipt

    assert bad.is_error
    assert bad.structured_content is None
    message = _text(bad)
    assert message.startswith("the arguments do not fit graph `shop` (it takes `order: Order`")
    assert "`order.item`: Field required" in message
    assert "`order.quantity`: Input should be a valid integer" in message
    assert "`note`: Input should be a valid string" in message
    assert unknown.is_error
    assert "`extra`: Extra inputs are not permitted" in _text(unknown)

    runs = json.loads(listing.stdout)  # only the good call ran; the bad ones were refused
    assert [(run["graph"], run["status"]) for run in runs] == [("shop", "succeeded")]
    assert "Traceback" not in (tmp_path / "server.log").read_text()


async def test_every_call_shares_the_graph_s_mcp_server_started_once(
    store: str, tmp_path: Path
) -> None:
    starts = tmp_path / "starts.log"  # the fault server's command line names it, so `ps` finds it
    pid = {"message": "***CALL_TOOL faults__pid {}"}
    with anyio.fail_after(60):
        env = {"PLAIT_TEST_MCP_STARTS": str(starts)}
        async with _stdio(COUNTED, store, tmp_path / "server.log", env=env) as session:
            started = starts.read_text()  # at start-up, before any call: checked then
            first = await session.call_tool("counted", pid)
            second = await session.call_tool("counted", pid)
            token = await session.call_tool("counted", {"message": "***CALL_TOOL faults__token {}"})
            running = await _left_behind(str(starts))
        assert await _left_behind(str(tmp_path)) == []  # neither plait nor its MCP server
        listing = await _plait("runs", "--store", store, "--json")

    assert len(started.split()) == 1
    assert starts.read_text() == started  # two runs, one start
    assert not first.is_error
    assert _text(first) == _text(second) == started.strip()
    assert len(running) == 1
    assert not token.is_error
    assert _text(token) == "**********"  # the credential it was started with, masked
    assert [run["status"] for run in json.loads(listing.stdout)] == ["succeeded"] * 3
    assert cli_mcp_graphs.TOKEN.encode() not in (tmp_path / "runs.db").read_bytes()
    assert "Traceback" not in (tmp_path / "server.log").read_text()


async def test_a_served_graph_whose_mcp_server_will_not_start_is_one_line(
    store: str, tmp_path: Path
) -> None:
    with anyio.fail_after(60):
        served = await _plait("mcp", "serve", "tests.cli.cli_mcp_graphs:broken", "--store", store)
    assert served.returncode == 2
    assert served.stderr.decode() == (
        "plait: error: MCP server `faults`: command `no-such-mcp-server-command` was not "
        "found (install it, or fix `mcp.servers.faults.command`)\n"
    )
    assert served.stdout == b""


async def _approve(
    context: ClientRequestContext, params: types.ElicitRequestParams
) -> types.ElicitResult:
    assert isinstance(params, types.ElicitRequestFormParams)
    assert params.message == "Approve the refund of 30 EUR for order 1042?"
    assert params.requested_schema["required"] == ["approved"]
    return types.ElicitResult(action="accept", content={"approved": True})


async def test_a_waiting_run_asks_through_an_elicitation_and_returns_the_result(
    store: str, tmp_path: Path
) -> None:
    with anyio.fail_after(60):
        log = tmp_path / "server.log"
        async with _stdio("examples.approval:graph", store, log, _approve) as session:
            result = await session.call_tool("approval", {"amount": 30})
        assert await _left_behind(str(tmp_path)) == []
        listing = await _plait("runs", "--store", store, "--json")

    assert not result.is_error
    assert result.structured_content == {"result": "sent: refund of 30 EUR for order 1042"}
    (run,) = json.loads(listing.stdout)
    assert run["status"] == "succeeded"  # the same run, answered and resumed


async def test_a_client_without_elicitation_gets_the_resume_line(
    store: str, tmp_path: Path
) -> None:
    with anyio.fail_after(60):
        async with _stdio("examples.approval:graph", store, tmp_path / "server.log") as session:
            result = await session.call_tool("approval", {"amount": 30})
        assert result.is_error
        document = result.structured_content
        assert isinstance(document, dict)
        run_id = document["run_id"]
        hint = (
            f"plait resume {run_id} --graph examples.approval:graph --store {store} "
            """--input '{"approve": {"approved": <boolean>, "note": ""}}'"""
        )
        assert document["status"] == "waiting"
        assert document["resume"] == hint
        assert _text(result) == (
            f"run {run_id} waits for input: `approve`: Approve the refund of 30 EUR for order "
            f"1042?\nanswer with: {hint}"
        )
        # the line answers it, as printed (a person fills in the placeholder)
        argv = shlex.split(hint.replace("<boolean>", "false"))[1:]
        resumed = await _plait(*argv)

    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.decode() == "dropped: refund of 30 EUR for order 1042 (not approved)\n"


def _answer_by_price(answered: list[str]) -> ElicitationFnT:
    """Says yes to paying 6 EUR, declines anything else."""

    async def elicit(
        context: ClientRequestContext, params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestFormParams)
        answered.append(params.message)
        assert params.requested_schema["properties"]["answer"]["type"] == "boolean"
        if params.message != "Pay 6 EUR?":
            return types.ElicitResult(action="decline")
        return types.ElicitResult(action="accept", content={"answer": True})

    return elicit


async def test_a_2026_client_answers_an_input_required_result(store: str, tmp_path: Path) -> None:
    asked: list[str] = []
    argv = _serve("tests.cli.cli_mcp_graphs:confirmed_shop", store)
    server = StdioServerParameters(command=argv[0], args=argv[1:], cwd=ROOT)
    with anyio.fail_after(60), (tmp_path / "server.log").open("w"):
        async with Client(server, elicitation_callback=_answer_by_price(asked)) as client:
            assert client.protocol_version == "2026-07-28"
            bought = await client.call_tool("confirmed-shop", {"order": ORDER})
            declined = await client.call_tool("confirmed-shop", {"order": {"item": "tea"}})
        assert await _left_behind(str(tmp_path)) == []

    assert asked == ["Pay 6 EUR?", "Pay 3 EUR?"]
    assert not bought.is_error
    assert bought.structured_content == {"result": "bought 2 tea for 6 EUR"}
    assert declined.is_error
    assert _text(declined).startswith("run ")
    assert "still waits: the question was not answered; answer with: plait resume " in _text(
        declined
    )


# On trio, the SDK's streamable HTTP client leaves its httpx2 SSE generators unfinished when
# the session closes; trio warns as it finalizes them. That is the client's, not the server's.
@pytest.mark.filterwarnings("ignore:Async generator 'httpx2\\.:ResourceWarning")
@pytest.mark.filterwarnings("ignore:Async generator 'httpcore2\\.:ResourceWarning")
async def test_streamable_http_on_loopback(store: str, tmp_path: Path) -> None:
    argv = [*_serve("examples.approval:graph", store), "--http", "--port", "0"]
    with anyio.fail_after(60):
        process = await anyio.open_process(argv, cwd=ROOT, stderr=subprocess.PIPE)
        try:
            url = await _served_at(process)
            async with (
                streamable_http_client(url) as (read, write, *_),
                ClientSession(read, write, elicitation_callback=_approve) as session,
            ):
                await session.initialize()
                (tool,) = (await session.list_tools()).tools
                result = await session.call_tool("approval", {"amount": 30})
            assert await _left_behind(str(tmp_path))  # the check sees a server that runs
            process.send_signal(signal.SIGINT)
            code = await process.wait()
            said = await _rest(process)
        finally:
            if process.returncode is None:
                process.kill()
            await process.aclose()
        assert await _left_behind(str(tmp_path)) == []

    assert url.startswith("http://127.0.0.1:")
    assert tool.input_schema["properties"] == {"amount": {"title": "Amount", "type": "integer"}}
    assert result.structured_content == {"result": "sent: refund of 30 EUR for order 1042"}
    assert code == 0, said
    assert said.endswith("plait: stopped serving\n")
    assert "Traceback" not in said


async def _served_at(process: Process) -> str:
    """The URL the server says, on stderr, it serves at."""
    assert process.stderr is not None
    said = b""
    while not said.endswith(b"/mcp\n"):
        said += await process.stderr.receive()
    return said.decode().split(" at ")[-1].strip()


async def _rest(process: Process) -> str:
    """What an exited server said on stderr after its URL."""
    assert process.stderr is not None
    return b"".join([chunk async for chunk in process.stderr]).decode()


def test_the_stdio_server_exits_when_the_client_closes(store: str) -> None:
    hello = types.JSONRPCRequest(
        jsonrpc="2.0",
        id=1,
        method="initialize",
        params={
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    )
    done = subprocess.run(
        _serve("examples.approval:graph", store),
        input=hello.model_dump_json(by_alias=True, exclude_none=True) + "\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"]["serverInfo"]["name"] == "plait"
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["mcp"], "missing SUBCOMMAND: use `plait mcp list` or `plait mcp serve TARGET`"),
        (["mcp", "serve", "tests.cli.cli_mcp_graphs:nothing"], "tests.cli.cli_mcp_graphs:nothing"),
        (
            ["mcp", "serve", "tests.cli.cli_mcp_graphs:shop", "--port", "70000"],
            "expected a port number",
        ),
    ],
)
def test_bad_usage_is_one_line(
    argv: Sequence[str],
    expected: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    assert plait.cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("plait: error: ")
    assert err.count("\n") == 1
    assert expected in err


def test_a_port_in_use_is_one_line(
    store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    monkeypatch.chdir(ROOT)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code = plait.cli.main(
            [
                "mcp",
                "serve",
                "tests.cli.cli_mcp_graphs:shop",
                "--store",
                store,
                "--http",
                "--port",
                port,
            ]
        )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"plait: error: cannot listen on 127.0.0.1:{port}: ")
    assert err.endswith("(choose another --port, or 0 for any free one)\n")


def test_without_the_sdk_the_error_names_the_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setitem(sys.modules, "mcp.server", None)  # import mcp.server now fails
    assert plait.cli.main(["mcp", "serve", SHOP]) == 2
    err = capsys.readouterr().err
    assert err == "plait: error: `plait mcp serve` needs the MCP SDK: pip install 'plait[mcp]'\n"
