"""``plait.yaml``'s ``mcp: servers:``: declarations, ``${VAR}``s and secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from plait.nodes import ConfigError, Secret, load_config


def test_servers_are_declared_with_a_command_or_a_url(tmp_path: Path) -> None:
    (tmp_path / "plait.yaml").write_text(
        "mcp:\n"
        "  servers:\n"
        "    time: {command: python, args: [-m, mcp_server_time], env: {TZ: UTC, GH_TOKEN: "
        "'${GH_TOKEN}'}, call_timeout: 5}\n"
        "    remote: {url: 'http://127.0.0.1:8000/mcp', headers: {Authorization: 'Bearer "
        "${TOKEN}'}}\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path, {"TOKEN": "abcdefghijkl", "GH_TOKEN": "ghp_0123456789"})
    time, remote = config.mcp_servers["time"], config.mcp_servers["remote"]
    assert (time.command, time.args, time.call_timeout) == ("python", ("-m", "mcp_server_time"), 5)
    assert time.env["TZ"] == "UTC"
    assert isinstance(time.env["GH_TOKEN"], Secret)
    assert time.environment()["GH_TOKEN"] == "ghp_0123456789"
    assert remote.transport == "http"
    assert remote.headers["Authorization"].reveal() == "Bearer abcdefghijkl"
    assert "abcdefghijkl" not in repr(remote)
    assert config.secrets.mask("Bearer abcdefghijkl") == "**********"


def test_bad_declarations_are_each_reported(tmp_path: Path) -> None:
    (tmp_path / "plait.yaml").write_text(
        "mcp:\n"
        "  servers:\n"
        "    a: {comand: x}\n"
        "    b: {command: x, url: 'http://127.0.0.1/mcp'}\n"
        "    c: {command: x, startup_timeout: -1}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, {})
    problems = caught.value.problems
    assert "$.mcp.servers.a: unknown key `comand` (did you mean `command`?)" in problems[0]
    assert any("$.mcp.servers.b: give either `command`" in problem for problem in problems)
    assert any("$.mcp.servers.c.startup_timeout: expected a positive" in p for p in problems)
