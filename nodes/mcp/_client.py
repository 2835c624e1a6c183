"""The one module that imports the ``mcp`` SDK (lazily): a shared session per server.

A ``Connection`` is one server, started once and shared by every agent of a run. Its
session lives in a task of the hub's task group (the SDK's transports must be entered
and left in one task); calls come from any task. It lists the tools once and again after
``notifications/tools/list_changed``. A server that dies is started again by the next
call, which is the retry policy's next attempt. Every SDK failure becomes an
``MCPServerError`` naming the server (or, for a bad tool call, an error result).
"""

from __future__ import annotations

import importlib
import json
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, cast

import anyio
import anyio.abc

from plait.nodes._errors import ConfigError
from plait.nodes.mcp._errors import MCPServerError
from plait.nodes.mcp._server import MCPServer

if TYPE_CHECKING:
    from mcp import ClientSession
    from mcp.types import RequestParamsMeta

__all__ = ["CallOutcome", "Connection", "RemoteTool", "load_sdk"]

_CONNECTION_CLOSED = -32000
_REQUEST_TIMEOUT = -32001
_STDERR_TAIL = 400


def load_sdk() -> Any:
    """The ``mcp`` package.

    Raises:
        ConfigError: when it is not installed, naming the extra to install.
    """
    try:
        return importlib.import_module("mcp")
    except ImportError:
        raise ConfigError("MCP servers need the `mcp` package: pip install 'plait[mcp]'") from None


@dataclass(frozen=True, slots=True)
class RemoteTool:
    """A tool as the server lists it."""

    name: str
    description: str
    input_schema: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """A tool call's result as text (content blocks joined), and whether it is an error."""

    text: str
    is_error: bool = False


class Connection:
    """One server's shared session (see the module's docstring)."""

    def __init__(self, server: MCPServer, group: anyio.abc.TaskGroup) -> None:
        self.server = server
        self._group = group
        self._session: ClientSession | None = None
        self._stop: anyio.Event | None = None
        self._lock = anyio.Lock()
        self._tools: tuple[RemoteTool, ...] | None = None
        self._stderr: IO[str] | None = None
        self.server_info = ""
        self.starts = 0
        """How many times the server was started (1 + restarts)."""

    async def open(self) -> ClientSession:
        """The live session, starting (or restarting) the server first when needed.

        Raises:
            MCPServerError: the server could not be started or initialised in time.
        """
        session = self._session
        if session is not None:
            return session
        async with self._lock:
            if self._session is None:
                await self._group.start(self._serve)
            assert self._session is not None
            return self._session

    async def close(self) -> None:
        """Stop the server (its task leaves the transport, which ends the process)."""
        if self._stop is not None:
            self._stop.set()

    def release(self) -> None:
        """Close what outlives the server's task (its captured stderr)."""
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    async def _serve(self, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        mcp = load_sdk()
        stop = anyio.Event()
        self._stop = stop
        self.starts += 1
        started = False
        try:
            async with AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(self._transport(mcp))
                session = await stack.enter_async_context(
                    mcp.ClientSession(
                        read,
                        write,
                        read_timeout_seconds=self.server.startup_timeout,
                        message_handler=self._on_message,
                    )
                )
                init = await session.initialize()
                info = init.server_info
                self.server_info = f"{info.name} {info.version}".strip()
                self._session = session
                started = True
                task_status.started()
                await stop.wait()
        except Exception as error:
            if not started:
                raise self._start_error(error) from None
            # a dead server's transport may fail on the way out: the next call restarts it
        finally:
            self._session = None
            self._tools = None

    def _transport(self, mcp: Any) -> Any:
        server = self.server
        if server.command is not None:
            if self._stderr is None:  # kept across restarts, closed by ``release``
                self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
            parameters = mcp.StdioServerParameters(
                command=server.command,
                args=list(server.args),
                env=server.environment() or None,
                cwd=server.cwd,
            )
            return mcp.stdio_client(parameters, errlog=self._stderr)
        return _http(server)

    async def _on_message(self, message: object) -> None:
        method = getattr(message, "method", None)
        if method == "notifications/tools/list_changed":
            self._tools = None  # listed again when next asked

    async def tools(self) -> tuple[RemoteTool, ...]:
        """The server's tools, listed once (and again after it said they changed)."""
        found = self._tools
        if found is not None:
            return found
        session = await self.open()
        sdk = load_sdk()
        try:
            listed: list[RemoteTool] = []
            cursor: str | None = None
            while True:
                params = None if cursor is None else sdk.types.PaginatedRequestParams(cursor=cursor)
                page = await session.list_tools(params=params)
                listed.extend(
                    RemoteTool(item.name, item.description or "", _schema(item.input_schema))
                    for item in page.tools
                )
                cursor = page.next_cursor
                if not cursor:
                    break
        except Exception as error:
            raise self._fault(error, "listing its tools") from None
        self._tools = tuple(listed)
        return self._tools

    async def call(
        self, name: str, arguments: Mapping[str, object], meta: Mapping[str, str] | None = None
    ) -> CallOutcome:
        """Call tool ``name`` (with ``meta`` as the request's ``_meta``: a trace context);
        a tool's own failure is an error outcome for the model.

        Raises:
            MCPServerError: the server died, hung past ``call_timeout``, or broke protocol.
        """
        session = await self.open()
        try:
            result = await session.call_tool(
                name,
                dict(arguments),
                read_timeout_seconds=self.server.call_timeout,
                meta=cast("RequestParamsMeta", dict(meta)) if meta else None,
            )
        except Exception as error:
            if _code(error) not in (None, _CONNECTION_CLOSED, _REQUEST_TIMEOUT):
                return CallOutcome(f"Error: {error}", is_error=True)  # e.g. invalid params
            raise self._fault(error, f"calling `{name}`") from None
        return CallOutcome(_content_text(result), bool(result.is_error))

    async def read(self, uri: str) -> str:
        """The text of resource ``uri`` (binary parts described)."""
        session = await self.open()
        try:
            result = await session.read_resource(uri)
        except Exception as error:
            raise self._fault(error, f"reading resource `{uri}`") from None
        return "\n".join(_block_text(item) for item in result.contents)

    async def prompt(self, name: str, arguments: Mapping[str, str]) -> str:
        """Prompt ``name`` rendered with ``arguments``: its messages' text."""
        session = await self.open()
        try:
            result = await session.get_prompt(name, dict(arguments))
        except Exception as error:
            raise self._fault(error, f"getting prompt `{name}`") from None
        return "\n\n".join(_block_text(message.content) for message in result.messages)

    def _fault(self, error: Exception, doing: str) -> MCPServerError:
        code = _code(error)
        if code == _REQUEST_TIMEOUT:
            limit = self.server.call_timeout if doing.startswith("calling") else None
            seconds = limit if limit is not None else self.server.startup_timeout
            return MCPServerError(
                self.server.name,
                f"no answer {doing} within {seconds:g} s (raise call_timeout, or fix the tool)",
            )
        if code == _CONNECTION_CLOSED:
            self._drop()
            return MCPServerError(
                self.server.name,
                f"the server went away while {doing}{self._stderr_tail()}; a retry starts it again",
            )
        self._drop()
        return MCPServerError(self.server.name, f"{doing} failed: {type(error).__name__}: {error}")

    def _drop(self) -> None:
        self._session = None
        if self._stop is not None:
            self._stop.set()

    def _start_error(self, error: Exception) -> MCPServerError:
        server = self.server
        while isinstance(error, ExceptionGroup) and error.exceptions:  # a transport's tasks
            error = error.exceptions[0]
        if isinstance(error, FileNotFoundError) and server.command is not None:
            return MCPServerError(
                server.name,
                f"command `{server.command}` was not found (install it, or fix "
                f"`mcp.servers.{server.name}.command`)",
            )
        if _code(error) == _REQUEST_TIMEOUT:
            return MCPServerError(
                server.name,
                f"it did not answer `initialize` within {server.startup_timeout:g} s "
                f"(`{server.describe()}`{self._stderr_tail()}; check the command, or raise "
                "startup_timeout)",
            )
        return MCPServerError(
            server.name,
            f"could not be started (`{server.describe()}`): {type(error).__name__}: {error}"
            f"{self._stderr_tail()}",
        )

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            text = self._stderr.read().strip()
        except (OSError, ValueError):
            return ""
        if not text:
            return ""
        tail = text[-_STDERR_TAIL:].replace("\n", " | ")
        return f"; it wrote: {tail}"


@asynccontextmanager
async def _http(server: MCPServer) -> AsyncIterator[Any]:
    """The streamable HTTP transport, with an HTTP client of its own (closed after)."""
    http = importlib.import_module("mcp.client.streamable_http")
    client = importlib.import_module("mcp.shared._httpx_utils").create_mcp_http_client(
        headers={key: value.reveal() for key, value in server.headers.items()}
    )
    async with client, http.streamable_http_client(server.url, http_client=client) as streams:
        yield streams


def _code(error: BaseException) -> int | None:
    code = getattr(getattr(error, "error", None), "code", None)
    return code if isinstance(code, int) else None


def _schema(schema: object) -> Mapping[str, object]:
    if isinstance(schema, Mapping):
        return MappingProxyType(dict(schema))
    return MappingProxyType({"type": "object", "properties": {}})


def _content_text(result: Any) -> str:
    """Text blocks as they are, images and audio described, resources inlined; structured
    content (JSON) when there is no text."""
    parts = [_block_text(block) for block in result.content]
    text = "\n".join(part for part in parts if part)
    if not text and result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False, sort_keys=True)
    return text


def _block_text(block: Any) -> str:
    kind = getattr(block, "type", None)
    if kind == "text" or hasattr(block, "text"):
        return str(block.text)
    if kind in ("image", "audio"):
        size = len(getattr(block, "data", "")) * 3 // 4
        return f"[{kind}: {getattr(block, 'mime_type', '?')}, {size} bytes]"
    if kind == "resource":
        return _block_text(block.resource)
    if kind == "resource_link" or hasattr(block, "uri"):
        return f"[resource: {block.uri}]"
    if hasattr(block, "blob"):
        return f"[binary: {getattr(block, 'mime_type', '?')}]"
    return f"[{kind}]"
