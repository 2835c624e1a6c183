"""Declaring MCP servers: ``MCPServer`` values, from Python or ``plait.yaml``'s ``mcp:``.

    mcp:
      servers:
        time: {command: python, args: [-m, mcp_server_time]}
        remote: {url: "http://127.0.0.1:8000/mcp", headers: {Authorization: "Bearer ${TOKEN}"}}

A server runs a local ``command`` (stdio) or is reached at a ``url`` (streamable HTTP).
Header values are ``Secret``s; so are ``env`` values whose names say they are secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from plait.nodes._errors import ConfigError
from plait.nodes._type_names import close_matches
from plait.nodes.llm._secret import Secret, is_secret_name

__all__ = ["MCPServer", "server_secrets", "servers_from_data"]

_NAME = re.compile(r"^[a-zA-Z0-9-]+(_[a-zA-Z0-9-]+)*$")
_KEYS = ("command", "args", "env", "cwd", "url", "headers", "startup_timeout", "call_timeout")
STARTUP_TIMEOUT = 30.0
CALL_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class MCPServer:
    """One MCP server: a ``command`` run over stdio, or a streamable HTTP ``url``.

    ``startup_timeout`` bounds starting and initialising it; ``call_timeout`` one call
    (seconds). Its tools reach a model as ``NAME__tool``. Header values, and ``env``
    values whose names say they are secret (``*_TOKEN``, ``*_API_KEY``...), are kept as
    ``Secret``s: a run that uses the server masks them in everything it records.

    Raises:
        ConfigError: for a name tools cannot be namespaced with, or neither or both of
            ``command`` and ``url``.
    """

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str | Secret] = field(default_factory=lambda: MappingProxyType({}))
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))
    startup_timeout: float = STARTUP_TIMEOUT
    call_timeout: float = CALL_TIMEOUT

    def __post_init__(self) -> None:
        where = f"MCP server `{self.name}`"
        if not _NAME.match(self.name):
            raise ConfigError(
                f"{where}: a name is letters, digits, `-` and single `_`s (its tools are "
                "named `NAME__tool`); rename it"
            )
        if (self.command is None) == (self.url is None):
            raise ConfigError(
                f"{where}: give either `command` (a local server over stdio) or `url` "
                "(streamable HTTP), not both or neither"
            )
        object.__setattr__(self, "args", tuple(self.args))
        env = {k: _secret(v) if is_secret_name(k) else v for k, v in self.env.items()}
        object.__setattr__(self, "env", MappingProxyType(env))
        headers = {key: _secret(value) for key, value in self.headers.items()}
        object.__setattr__(self, "headers", MappingProxyType(headers))

    @property
    def transport(self) -> str:
        """``"stdio"`` or ``"http"``."""
        return "stdio" if self.command is not None else "http"

    def describe(self) -> str:
        """How it is reached, with secrets masked: a command line or a URL."""
        if self.command is None:
            return f"{self.url}"
        return " ".join((self.command, *self.args))

    def secrets(self) -> tuple[Secret, ...]:
        """Its secrets: header values and secret ``env`` values."""
        env = (value for value in self.env.values() if isinstance(value, Secret))
        return (*self.headers.values(), *env)

    def environment(self) -> dict[str, str]:
        """``env`` with its secrets revealed, for starting the process."""
        return {k: v.reveal() if isinstance(v, Secret) else v for k, v in self.env.items()}


def _secret(value: object) -> Secret:
    return value if isinstance(value, Secret) else Secret(str(value))


def server_secrets(servers: Mapping[str, MCPServer]) -> Iterator[Secret]:
    """Every secret the declarations hold: header values and secret ``env`` values."""
    for server in servers.values():
        yield from server.secrets()


def servers_from_data(data: object, problems: list[str]) -> dict[str, MCPServer]:
    """``plait.yaml``'s ``mcp:`` section as declarations; what is wrong goes to ``problems``."""
    if data is None:
        return {}
    if not isinstance(data, Mapping) or set(data) - {"servers"}:
        problems.append("$.mcp: expected a mapping with one key, `servers`")
        return {}
    raw = data.get("servers") or {}
    if not isinstance(raw, Mapping):
        problems.append("$.mcp.servers: expected a mapping of server name: settings")
        return {}
    found: dict[str, MCPServer] = {}
    for name, settings in raw.items():
        where = f"$.mcp.servers.{name}"
        if not isinstance(settings, Mapping):
            problems.append(f"{where}: expected a mapping ({', '.join(_KEYS)})")
            continue
        server = _server(str(name), settings, where, problems)
        if server is not None:
            found[str(name)] = server
    return found


def _server(
    name: str, settings: Mapping[str, object], where: str, problems: list[str]
) -> MCPServer | None:
    count = len(problems)
    for key in settings:
        if key not in _KEYS:
            near = close_matches(str(key), _KEYS)
            hint = f" (did you mean `{near[0]}`?)" if near else ""
            problems.append(f"{where}: unknown key `{key}`{hint}; known keys: {', '.join(_KEYS)}")
    args = settings.get("args") or []
    if not isinstance(args, list) or not all(isinstance(arg, str | int | float) for arg in args):
        problems.append(f"{where}.args: expected a list of strings")
        args = []
    env = _mapping(settings.get("env"), f"{where}.env", problems)
    headers = _mapping(settings.get("headers"), f"{where}.headers", problems)
    texts = {key: settings.get(key) for key in ("command", "cwd", "url")}
    for key, value in texts.items():
        if value is not None and not isinstance(value, str):
            problems.append(f"{where}.{key}: expected a string, got {type(value).__name__}")
    timeouts = {
        key: _seconds(settings.get(key), default, f"{where}.{key}", problems)
        for key, default in (("startup_timeout", STARTUP_TIMEOUT), ("call_timeout", CALL_TIMEOUT))
    }
    if len(problems) > count:
        return None
    try:
        return MCPServer(
            name,
            command=texts["command"] or None,  # type: ignore[arg-type]
            args=tuple(str(arg) for arg in args),
            env={k: Secret(v) if is_secret_name(k) else v for k, v in env.items()},
            cwd=texts["cwd"] or None,  # type: ignore[arg-type]
            url=texts["url"] or None,  # type: ignore[arg-type]
            headers={key: Secret(value) for key, value in headers.items()},
            **timeouts,
        )
    except ConfigError as error:
        problems.append(f"{where}: {str(error).split(': ', 1)[1]}")
        return None


def _mapping(value: object, where: str, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where}: expected a mapping of name: value")
        return {}
    return {str(key): str(item) for key, item in value.items()}


def _seconds(value: object, default: float, where: str, problems: list[str]) -> float:
    if value is None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    problems.append(f"{where}: expected a positive number of seconds, got {value!r}")
    return default
