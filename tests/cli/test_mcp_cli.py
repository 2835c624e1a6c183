"""``plait mcp list``, the MCP servers in ``plait config``, and MCP errors from ``plait run``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import plait.cli
from tests.nodes.mcp.conftest import ROOT, server_children

PLAIT_YAML = f"""\
mcp:
  servers:
    faults:
      command: {sys.executable}
      args: [-m, tests.fakes.mcp_faults]
      cwd: {ROOT}
    gone: {{command: no-such-mcp-server}}
    remote:
      url: http://127.0.0.1:9/mcp
      headers: {{Authorization: "Bearer ${{REMOTE_TOKEN}}"}}
      startup_timeout: 2
"""
TIME_YAML = (
    f"mcp:\n  servers:\n    time: {{command: {sys.executable}, args: [-m, mcp_server_time]}}\n"
)
CALL = '***CALL_TOOL time__get_current_time {"timezone": "UTC"}'


@pytest.fixture(autouse=True)
def _no_server_left_behind() -> Iterator[None]:
    """Every test here checks that no MCP server process outlives it."""
    yield
    assert server_children() == []


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REMOTE_TOKEN", "remote-token-0123456789")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_mcp_list_shows_each_servers_status_and_tools(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "plait.yaml").write_text(PLAIT_YAML, encoding="utf-8")
    code = plait.cli.main(["mcp", "list"])
    out = capsys.readouterr().out
    assert code == 1  # two of the three did not answer
    assert f"faults  ok  stdio: {sys.executable} -m tests.fakes.mcp_faults" in out
    assert "  faults.echo  Say ``text`` back." in out
    assert "gone  failed  stdio: no-such-mcp-server" in out
    assert "command `no-such-mcp-server` was not found" in out
    assert "remote  failed  http: http://127.0.0.1:9/mcp" in out
    assert "remote-token" not in out
    assert server_children() == []
    assert plait.cli.main(["mcp", "list", "--json"]) == 1
    listed = json.loads(capsys.readouterr().out)
    assert listed["faults"]["status"] == "ok"
    assert "pid" in [item["name"] for item in listed["faults"]["tools"]]


def test_mcp_list_without_servers_says_how_to_declare_them(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plait.cli.main(["mcp", "list"]) == 0
    assert "declare them in plait.yaml" in capsys.readouterr().out


def test_plait_config_shows_the_servers_with_secrets_masked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "plait.yaml").write_text(PLAIT_YAML, encoding="utf-8")
    assert plait.cli.main(["config", "--json"]) == 0
    settings = json.loads(capsys.readouterr().out)["settings"]
    header = settings["mcp.servers.remote.headers.Authorization"]
    assert (header["value"], header["secret"]) == ("**********", True)
    assert settings["mcp.servers.gone.command"]["value"] == "no-such-mcp-server"
    assert settings["mcp.servers.faults.args"]["value"] == ["-m", "tests.fakes.mcp_faults"]


def test_a_run_calls_a_configured_servers_tool(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "plait.yaml").write_text(TIME_YAML, encoding="utf-8")
    inputs = json.dumps({"message": CALL})
    code = plait.cli.main(["run", "tests.cli.cli_mcp:graph", "--input", inputs, "--no-store"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["timezone"] == "UTC"
    assert server_children() == []


def test_an_undeclared_server_is_a_usage_error_before_the_model_is_called(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = json.dumps({"message": CALL})
    code = plait.cli.main(["run", "tests.cli.cli_mcp:graph", "--input", inputs, "--no-store"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("plait: error: agent `clock`: unknown MCP server `time`") or (
        captured.err.startswith("plait: error: unknown MCP server `time`; declared: none")
    )
    assert captured.err.count("\n") == 1


def test_a_server_that_will_not_start_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "plait.yaml").write_text(
        "mcp:\n  servers:\n    time: {command: no-such-mcp-server}\n", encoding="utf-8"
    )
    inputs = json.dumps({"message": CALL})
    code = plait.cli.main(["run", "tests.cli.cli_mcp:graph", "--input", inputs])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == (
        "plait: error: MCP server `time`: command `no-such-mcp-server` was not found (install "
        "it, or fix `mcp.servers.time.command`)\n"
    )


def _server_of(parent: int) -> int | None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"PPid:\t{parent}\n" in status and b"mcp_faults" in command:
            return int(entry.name)
    return None


@pytest.mark.slow
def test_ctrl_c_stops_the_servers_of_an_interrupted_run(project: Path) -> None:
    import os
    import signal
    import subprocess
    import time

    (project / "plait.yaml").write_text(PLAIT_YAML, encoding="utf-8")
    inputs = json.dumps({"message": "***CALL_TOOL faults__hang"})
    command = [sys.executable, "-m", "plait", "run", "tests.cli.cli_mcp:hanging", "--no-store"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [*command, "--input", inputs], cwd=project, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        server = None
        deadline = time.monotonic() + 30
        while server is None and time.monotonic() < deadline:
            time.sleep(0.1)
            server = _server_of(process.pid)
        assert server is not None, "the fault server never started"
        time.sleep(0.5)  # the agent is now waiting on `hang`
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "interrupted" in err
    assert not Path(f"/proc/{server}").exists(), "the MCP server outlived the run"


SPEC = {
    "plait": "1",
    "name": "clock",
    "inputs": {"message": "str"},
    "nodes": [
        {
            "id": "clock",
            "kind": "agent",
            "agent": "clock",
            "mcp": ["time"],
            "inputs": {"message": "inputs.message"},
        }
    ],
    "output": "clock",
}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("spec", "plait: error: unknown MCP server `time`; declared: none (declare it in"),
        ("silent", "plait: error: MCP server `faults`: it did not answer `initialize` within 1 s"),
        ("collision", "plait: error: agent `both`: two tools are named `faults__echo`"),
    ],
)
def test_bad_mcp_input_is_one_line_and_exit_2_before_the_model_is_called(
    project: Path, capsys: pytest.CaptureFixture[str], case: str, expected: str
) -> None:
    target = {"spec": "clock.json", "silent": "tests.cli.cli_mcp:hanging"}.get(
        case, "tests.cli.cli_mcp:colliding"
    )
    (project / "clock.json").write_text(json.dumps(SPEC), encoding="utf-8")
    silent = f"{PLAIT_YAML.replace('tests.fakes.mcp_faults]', 'tests.fakes.mcp_faults, silent]')}"
    silent = silent.replace(f"cwd: {ROOT}", f"cwd: {ROOT}\n      startup_timeout: 1")
    if case != "spec":
        (project / "plait.yaml").write_text(silent if case == "silent" else PLAIT_YAML)
    # The passthrough model would call the tool, and the run would print its output.
    inputs = json.dumps({"message": "***CALL_TOOL faults__hang"})
    command = ["run", target, "--input", inputs, "--import", "tests.cli.cli_mcp", "--no-store"]
    code = plait.cli.main(command if case == "spec" else [*command[:4], "--no-store"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.err.startswith(expected)
    assert captured.err.count("\n") == 1
    assert captured.out == ""
    assert server_children() == []
