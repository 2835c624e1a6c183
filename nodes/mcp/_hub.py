"""The MCP servers of a run: started once, shared by its agents, stopped at its end.

``MCPHub.check`` starts every server the run's agents use (in parallel), lists their
tools and checks each agent's references against them, so that an unknown tool, a name
collision or a server that will not start is reported before any model is called.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType

import anyio
import anyio.abc

from plait.nodes._errors import ConfigError
from plait.nodes._type_names import close_matches
from plait.nodes.agents._tools import Tool
from plait.nodes.llm._secret import Secrets
from plait.nodes.mcp._client import Connection
from plait.nodes.mcp._errors import MCPServerError
from plait.nodes.mcp._refs import MCPPrompt, MCPReference, MCPResource, MCPTools
from plait.nodes.mcp._server import MCPServer, server_secrets
from plait.nodes.mcp._tools import mcp_tool

__all__ = ["AgentParts", "MCPHub"]

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class AgentParts:
    """What an agent's MCP references give it for one execution."""

    tools: tuple[Tool[..., object], ...] = ()
    prompt: str | None = None
    context: str = ""

    def system(self, instructions: str) -> str:
        """The system prompt: the MCP prompt, the agent's own instructions, the resources."""
        parts = (self.prompt, instructions, self.context)
        return "\n\n".join(part for part in parts if part)


class MCPHub:
    """Holds MCP servers open while entered: each starts on first use and is shared.

    A run makes one for its agents. To share servers across the runs of one process, open
    one yourself (``async with MCPHub({"time": server}) as hub``) and pass it to each run
    (``RunOptions(mcp=hub)``): the run uses the hub's servers, started once, and starts
    only the others itself; the hub stops its servers when you leave it.
    """

    def __init__(self, servers: Mapping[str, MCPServer], *, shared: MCPHub | None = None) -> None:
        self.servers = dict(servers)
        self.shared = shared
        """A hub (a process's, opened by the user) whose servers come before these."""
        self._connections: dict[str, Connection] = {}
        self._group: anyio.abc.TaskGroup | None = None

    def secrets(self) -> Secrets:
        """The secrets of its servers and its shared hub's (headers, secret ``env`` values):
        a run given the hub masks them in everything it records."""
        shared = self.shared.secrets() if self.shared is not None else Secrets()
        return shared | Secrets(server_secrets(self.servers))

    @property
    def is_open(self) -> bool:
        """Whether it is entered (``async with``), so its servers can start."""
        return self._group is not None

    async def __aenter__(self) -> MCPHub:
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        assert self._group is not None
        for connection in self._connections.values():
            await connection.close()
        try:
            # The servers stop on their own; an error of the body propagates unwrapped.
            await self._group.__aexit__(None, None, None)
            return None
        finally:
            for connection in self._connections.values():
                connection.release()
            self._group = None
            self._connections.clear()

    def connection(self, name: str) -> Connection:
        """The connection to server ``name`` (not started until used).

        Raises:
            ConfigError: for a server nobody declared, naming the declared ones.
        """
        found = self._connections.get(name)
        if found is not None:
            return found
        shared = self.shared
        if shared is not None and name in shared.servers:
            return shared.connection(name)
        server = self.servers.get(name)
        if server is None:
            raise ConfigError(_unknown_server(name, self.servers))
        assert self._group is not None, "enter the hub (async with) before using it"
        found = self._connections[name] = Connection(server, self._group)
        return found

    async def check(
        self, agents: Iterable[tuple[str, Sequence[MCPReference], Sequence[str]]]
    ) -> None:
        """Start the servers of ``agents`` (id, references, own tool names) and check them.

        Raises:
            ConfigError: every unknown server, unknown tool and name collision at once.
            MCPServerError: a server could not be started or initialised.
        """
        listed = list(agents)
        names = sorted({ref.server for _, refs, _ in listed for ref in refs})
        declared = self._declaration_problems(names)
        if declared:
            raise ConfigError(declared)
        failures: list[MCPServerError] = []

        async def start(name: str) -> None:
            try:
                await self.connection(name).tools()
            except MCPServerError as error:
                failures.append(error)

        async with anyio.create_task_group() as group:
            for name in names:
                group.start_soon(start, name)
        if failures:
            raise min(failures, key=lambda error: error.server)
        problems: list[str] = []
        for agent_id, refs, own in listed:
            try:
                await self.parts(refs, own, check=True)
            except ConfigError as error:
                problems.extend(f"agent `{agent_id}`: {problem}" for problem in error.problems)
        if problems:
            raise ConfigError(problems)

    def _declaration_problems(self, names: Iterable[str]) -> list[str]:
        shared = self.shared.servers if self.shared is not None else {}
        declared = {**self.servers, **shared}
        problems = [_unknown_server(name, declared) for name in names if name not in declared]
        for name in names:
            mine, theirs = self.servers.get(name), shared.get(name)
            if mine is not None and theirs is not None and mine != theirs:
                problems.append(
                    f"MCP server `{name}` is declared differently here (`{mine.describe()}`) "
                    f"and in the shared MCPHub (`{theirs.describe()}`); declare it once"
                )
        if self.shared is not None and not self.shared.is_open and names:
            problems.append(
                "the MCPHub given as RunOptions(mcp=...) is not open: run inside `async with hub:`"
            )
        return problems

    async def parts(
        self, refs: Sequence[MCPReference], own: Sequence[str] = (), *, check: bool = False
    ) -> AgentParts:
        """The tools, prompt and context ``refs`` give an agent whose own tools are ``own``.

        Raises:
            ConfigError: an unknown tool, or two tools with one name.
            MCPServerError: a server failed.
        """
        tools: dict[str, Tool[..., object]] = {}
        problems: list[str] = []
        prompt: str | None = None
        context: list[str] = []
        for ref in refs:
            connection = self.connection(ref.server)
            if isinstance(ref, MCPTools):
                remote = await connection.tools()
                chosen = [item for item in remote if ref.tool in (None, item.name)]
                if ref.tool is not None and not chosen:
                    near = close_matches(ref.tool, [item.name for item in remote])
                    hint = f" (did you mean `{ref.server}.{near[0]}`?)" if near else ""
                    listing = ", ".join(item.name for item in remote) or "none"
                    problems.append(
                        f"MCP server `{ref.server}` has no tool `{ref.tool}`{hint}; it has: "
                        f"{listing}"
                    )
                for item in chosen:
                    made = mcp_tool(ref.server, item, connection)
                    if made.name in tools or made.name in own:
                        problems.append(f"two tools are named `{made.name}` (rename one)")
                    elif not _TOOL_NAME.match(made.name):
                        problems.append(
                            f"tool `{ref.server}.{item.name}` gives the model name `{made.name}`, "
                            "which is not 1-64 letters, digits, `_` or `-` (allow only the "
                            'other tools: `mcp("SERVER.TOOL")`)'
                        )
                    tools[made.name] = made
            elif not check and isinstance(ref, MCPPrompt):
                prompt = await connection.prompt(ref.name, dict(ref.arguments))
            elif not check and isinstance(ref, MCPResource):
                text = await connection.read(ref.uri)
                context.append(f'<resource uri="{ref.uri}">\n{text}\n</resource>')
        if problems:
            raise ConfigError(problems)
        return AgentParts(tuple(tools.values()), prompt, "\n\n".join(context))


def _unknown_server(name: str, servers: Mapping[str, MCPServer]) -> str:
    near = close_matches(name, servers)
    hint = f" (did you mean `{near[0]}`?)" if near else ""
    declared = ", ".join(sorted(servers)) or "none"
    return (
        f"unknown MCP server `{name}`{hint}; declared: {declared} (declare it in plait.yaml "
        "under `mcp: servers:`, or pass an MCPServer)"
    )
