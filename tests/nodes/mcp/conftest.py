"""Fixtures for the MCP tests: the real servers, and a check that none is left running."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from plait.nodes.mcp import MCPServer

ROOT = Path(__file__).resolve().parents[3]
SERVER_MODULES = ("mcp_faults", "mcp_server_time", "mcp-server-everything", "server-everything")


def faults(name: str = "faults", *mode: str, **settings: float) -> MCPServer:
    """The test suite's own fault server (``tests/fakes/mcp_faults.py``) over stdio."""
    return MCPServer(
        name,
        command=sys.executable,
        args=("-m", "tests.fakes.mcp_faults", *mode),
        cwd=str(ROOT),
        **settings,  # type: ignore[arg-type]
    )


def time_server(name: str = "time") -> MCPServer:
    """``mcp-server-time`` from PyPI."""
    return MCPServer(name, command=sys.executable, args=("-m", "mcp_server_time"))


def server_children() -> list[str]:
    """The MCP server processes this test process started that still run."""
    found: list[str] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() != str(os.getpid()):
            continue
        if fields.get("State", "").startswith("Z"):
            continue
        if any(module in command for module in SERVER_MODULES):
            found.append(command)
    return found


@pytest.fixture(autouse=True)
def _no_server_left_behind() -> Iterator[None]:
    """Every MCP test checks that no server process outlives it."""
    yield
    assert server_children() == []
