"""``plait mcp``: the MCP command group. ``plait mcp list`` starts each server declared in
``plait.yaml`` (``mcp: servers:``), and shows its status and tools.

    plait mcp list
    plait mcp list --json

``plait mcp serve`` (a graph as an MCP server) plugs into this group: see
``add_mcp_parser`` and ``mcp_command``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

from plait.cli._mcp_serve import add_mcp_serve_parser, mcp_serve_command
from plait.cli._settings import settings
from plait.cli._usage import RUN_FAILED, CliError

if TYPE_CHECKING:
    from plait.nodes.mcp import MCPServer

__all__ = ["add_mcp_parser", "mcp_command"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)


def add_mcp_parser(commands: argparse._SubParsersAction[ParserT]) -> None:
    """Add ``mcp`` and its subcommands to ``commands``."""
    group = commands.add_parser(
        "mcp",
        help="MCP: list the configured servers, or serve a graph as an MCP tool",
        description="Model Context Protocol: the servers plait.yaml declares (mcp: servers:).",
        allow_abbrev=False,
    )
    subcommands = group.add_subparsers(dest="mcp_command", metavar="SUBCOMMAND")
    listing = subcommands.add_parser(
        "list",
        help="start each configured MCP server and show its status and tools",
        description="Start each server declared under `mcp: servers:` in plait.yaml, list "
        "its tools, and stop it. Exit code 0: every server answered; 1: one did not.",
        allow_abbrev=False,
    )
    listing.add_argument(
        "--json",
        action="store_true",
        help='print {NAME: {"status", "transport", "target", "tools"|"error"}}',
    )
    add_mcp_serve_parser(subcommands)


def mcp_command(args: argparse.Namespace) -> int:
    """Run ``plait mcp SUBCOMMAND``; the exit code."""
    if args.mcp_command == "list":
        return _list(as_json=args.json)
    if args.mcp_command == "serve":
        return mcp_serve_command(args)
    raise CliError(
        "missing SUBCOMMAND: use `plait mcp list` or `plait mcp serve TARGET` "
        "(see `plait mcp --help`)"
    )


def _list(*, as_json: bool) -> int:
    import anyio

    servers = dict(settings().config.mcp_servers)
    if not servers:
        if as_json:
            print("{}")
        else:
            print(
                "no MCP servers are configured (declare them in plait.yaml under `mcp: servers:`)"
            )
        return 0
    report = anyio.run(_probe, servers)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        for name, entry in report.items():
            status = entry["status"]
            print(f"{name}  {status}  {entry['transport']}: {entry['target']}")
            if "error" in entry:
                print(f"  {entry['error']}")
            tools = entry.get("tools", [])
            assert isinstance(tools, list)
            for tool in tools:
                print(f"  {name}.{tool['name']}  {tool['description']}".rstrip())
    sys.stdout.flush()
    failed = any(entry["status"] != "ok" for entry in report.values())
    return RUN_FAILED if failed else 0


async def _probe(servers: Mapping[str, MCPServer]) -> dict[str, dict[str, object]]:
    from plait.nodes.mcp import MCPHub, MCPServerError

    report: dict[str, dict[str, object]] = {}
    async with MCPHub(servers) as hub:
        for name, server in sorted(servers.items()):
            entry: dict[str, object] = {"transport": server.transport, "target": server.describe()}
            try:
                tools = await hub.connection(name).tools()
            except MCPServerError as error:
                entry = {"status": "failed", **entry, "error": str(error)}
            else:
                listed = [
                    {"name": tool.name, "description": tool.description.strip().split("\n")[0]}
                    for tool in tools
                ]
                entry = {"status": "ok", **entry, "tools": listed}
            report[name] = entry
    return report
