"""``plait config``: the configuration in effect, where each value came from, secrets masked.

Provenance is worked out here, beside ``load_config`` rather than inside it: the resolved
``PlaitConfig`` says what each value is, and the raw layers it was merged from (the
``PLAIT_`` overrides, ``plait.secrets.yaml``, ``plait.yaml``, the providers' standard
variables, the defaults) say which one supplied it, highest precedence first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from plait.cli._settings import DEFAULT_STORE, settings
from plait.cli._usage import CliError

if TYPE_CHECKING:
    from plait.nodes import PlaitConfig

__all__ = ["Entry", "Source", "add_config_parser", "config_command", "describe_config"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)

MASK = "**********"
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")
_STANDARD_VARIABLES: dict[tuple[str, ...], str] = {
    ("anthropic", "api_key"): "ANTHROPIC_API_KEY",
    ("openai", "api_key"): "OPENAI_API_KEY",
    ("anthropic", "base_url"): "ANTHROPIC_BASE_URL",
    ("openai", "base_url"): "OPENAI_BASE_URL",
}
_PLACEHOLDERS = (None, "", "<your-api-key-here>")
_MIN_SECRET = 4  # shorter "secrets" would mask every value that happens to contain them
_MISSING = object()

KeyPath = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Source:
    """Where one value came from: a file, an environment variable, or plait's default."""

    kind: Literal["file", "secrets", "environment", "default"]
    name: str = ""
    """The file's name, or the environment variable's."""
    via: str | None = None
    """The variable a file's ``${VAR}`` substituted into the value."""

    def __str__(self) -> str:
        if self.kind == "default":
            return "default"
        if self.kind == "environment":
            return f"environment variable {self.name}"
        return self.name if self.via is None else f"{self.name} (${{{self.via}}})"

    def to_json(self) -> dict[str, str]:
        """``{"kind": ..., "name": ..., "via": ...}`` without the empty parts."""
        found: dict[str, str] = {"kind": self.kind}
        if self.name:
            found["name"] = self.name
        if self.via is not None:
            found["via"] = self.via
        return found


@dataclass(frozen=True, slots=True)
class Entry:
    """One resolved setting: its dotted key, its value (masked if secret), its source."""

    key: str
    value: str | int | float | list[str] | None
    source: Source
    secret: bool = False


def is_secret_variable(name: str) -> bool:
    """Whether an environment variable holds a secret by its name (``*_API_KEY``, ...):
    the one check the whole of plait makes (``plait.nodes.is_secret_name``)."""
    from plait.nodes import is_secret_name

    return is_secret_name(name)


class _Layers:
    """The raw settings load_config merged, to look a key's source up in."""

    def __init__(self, config: PlaitConfig, environ: Mapping[str, str]) -> None:
        from plait.nodes import SECRETS_FILE, load_yaml

        self.environ = environ
        self.files: list[tuple[Source, object]] = []
        for path in reversed(config.sources):  # the secrets file, read last, wins
            file = Path(path)
            kind: Literal["secrets", "file"] = "secrets" if file.name == SECRETS_FILE else "file"
            data = load_yaml(file.read_text(encoding="utf-8"), source=path)
            self.files.append((Source(kind, file.name), data))
        self.overrides: dict[KeyPath, str] = {}
        for name in sorted(environ):
            if name.startswith("PLAIT_"):
                parts = tuple(part.lower() for part in name[len("PLAIT_") :].split("__"))
                if all(parts):
                    self.overrides[parts] = name

    def source(self, path: KeyPath) -> Source | None:
        """The highest-precedence layer holding ``path``; ``None``: none does."""
        if path in self.overrides:
            return Source("environment", self.overrides[path])
        for source, data in self.files:
            raw = _lookup(data, path)
            if raw is _MISSING:
                continue
            standard = _STANDARD_VARIABLES.get(path)
            if raw in _PLACEHOLDERS and standard and self.environ.get(standard):
                return Source("environment", standard)
            found = _REFERENCE.search(raw) if isinstance(raw, str) else None
            return Source(source.kind, source.name, found.group(1) if found else None)
        standard = _STANDARD_VARIABLES.get(path)
        if standard and self.environ.get(standard):
            return Source("environment", standard)
        return None

    def secret_values(self) -> set[str]:
        """Every value known to be secret: the secrets file's strings, secret variables."""
        found = {value for name, value in self.environ.items() if is_secret_variable(name)}
        for source, data in self.files:
            if source.kind == "secrets":
                found.update(_strings(data))
        return {value for value in found if len(value) >= _MIN_SECRET}


def _lookup(data: object, path: KeyPath) -> object:
    for part in path:
        if not isinstance(data, Mapping) or part not in data:
            return _MISSING
        data = data[part]
    return data


def _strings(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, Mapping):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def _resolved(config: PlaitConfig) -> Iterator[tuple[KeyPath, object, bool]]:
    """(path, value, secret by its key) for every setting worth showing."""
    from plait.nodes import ALIASES

    yield ("default_model",), config.default_model, False
    yield ("store",), config.store, False
    yield ("imports",), list(config.imports), False
    for name, target in sorted(config.graphs.items()):
        yield ("graphs", name), target, False
    for name, target in sorted({**ALIASES, **config.aliases}.items()):
        yield ("aliases", name), target, False
    for name, provider in config.providers.items():
        key = provider.api_key.reveal() if provider.api_key else None
        if key is not None or (name, "api_key") in _STANDARD_VARIABLES:
            yield (name, "api_key"), key, True
        for field in ("base_url", "timeout", "max_tokens"):
            value = getattr(provider, field)
            if value is not None:
                yield (name, field), value, False
        for header, secret in sorted(provider.headers.items()):
            yield (name, "headers", header), secret.reveal(), True
        if provider.rate_limit is not None:
            for field in ("requests_per_minute", "tokens_per_minute", "concurrent_requests"):
                value = getattr(provider.rate_limit, field)
                if value is not None:
                    yield (name, "rate_limit", field), value, False
    yield from _mcp_servers(config)


def _mcp_servers(config: PlaitConfig) -> Iterator[tuple[KeyPath, object, bool]]:
    from plait.nodes import Secret

    for name, server in sorted(config.mcp_servers.items()):
        where = ("mcp", "servers", name)
        for field in ("command", "url", "cwd"):
            value = getattr(server, field)
            if value is not None:
                yield (*where, field), value, False
        if server.args:
            yield (*where, "args"), list(server.args), False
        for key, value in sorted(server.env.items()):
            if isinstance(value, Secret):
                yield (*where, "env", key), value.reveal(), True
            else:
                yield (*where, "env", key), value, False
        for header, value in sorted(server.headers.items()):
            yield (*where, "headers", header), value.reveal(), True


def describe_config(config: PlaitConfig, environ: Mapping[str, str]) -> list[Entry]:
    """Every resolved setting of ``config`` with its source, secrets masked.

    A value is masked when its key holds a secret (API keys, headers), when it came from
    the secrets file or a secret-named variable (``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``,
    ``*_PASSWORD``, directly or through ``${VAR}``), or when it contains any such value.
    A password in a URL is masked on its own.
    """
    layers = _Layers(config, environ)
    resolved = list(_resolved(config))
    secrets = layers.secret_values()
    secrets.update(
        value
        for _, value, keyed_secret in resolved
        if keyed_secret and isinstance(value, str) and len(value) >= _MIN_SECRET
    )
    entries: list[Entry] = []
    for path, value, keyed_secret in resolved:
        source = layers.source(path)
        if source is None:
            source = Source("default")
            if path == ("store",):
                value = DEFAULT_STORE
        named = source.via or (source.name if source.kind == "environment" else "")
        secret = keyed_secret or source.kind == "secrets" or is_secret_variable(named)
        shown = _shown(value, secrets)
        if value is not None and (secret or shown is None):
            entries.append(Entry(".".join(path), MASK, source, True))
        else:
            entries.append(Entry(".".join(path), shown, source))
    return entries


def _shown(value: object, secrets: set[str]) -> str | int | float | list[str] | None:
    """``value`` for display, a URL's password masked; ``None`` if it holds a secret."""
    if isinstance(value, list):
        items = [_shown(item, secrets) for item in value]
        return None if None in items else [str(item) for item in items]
    if not isinstance(value, str):
        return value if isinstance(value, int | float) else None
    if any(secret in value for secret in secrets):
        return None
    return _without_password(value)


def _without_password(text: str) -> str:
    if "://" not in text or "@" not in text:
        return text
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:
        return MASK
    if not password:
        return text
    netloc = parts.netloc.replace(f":{password}@", f":{MASK}@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def add_config_parser(commands: argparse._SubParsersAction[ParserT]) -> None:
    """Add ``config`` to ``commands``."""
    parser = commands.add_parser(
        "config",
        help="show the configuration in effect and where each value came from",
        description="Show the resolved configuration (default model, store, imports, "
        "graphs, aliases, providers, MCP servers) read from plait.yaml, plait.secrets.yaml and the "
        "environment in the current directory, with the source of each value. Secrets "
        "(API keys, headers, the secrets file, *_API_KEY/*_TOKEN/*_SECRET variables) "
        "are masked.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"directory", "files", "settings": {KEY: {"value", "source", "secret"}}}',
    )


def config_command(args: argparse.Namespace) -> int:
    """``plait config``: print the table (or JSON document); exit code 0."""
    from plait.nodes import ConfigError

    config = settings().config
    try:
        entries = describe_config(config, os.environ)
    except (OSError, ValueError, ConfigError) as error:  # a file changed since it was read
        raise CliError(f"plait.yaml: {error}") from None
    files = list(config.sources)
    if args.json:
        document = {
            "directory": str(Path.cwd()),
            "files": files,
            "settings": {
                entry.key: {
                    "value": entry.value,
                    "source": entry.source.to_json(),
                    "secret": entry.secret,
                }
                for entry in entries
            },
        }
        print(json.dumps(document, indent=2))
        return 0
    print(f"files read: {', '.join(files) if files else 'none (no plait.yaml here)'}")
    rows = [(entry.key, _text(entry.value), str(entry.source)) for entry in entries]
    key_width = max(len(row[0]) for row in rows)
    value_width = min(48, max(len(row[1]) for row in rows))
    for key, value, source in rows:
        print(f"{key:<{key_width}}  {value:<{value_width}}  {source}".rstrip())
    sys.stdout.flush()
    return 0


def _text(value: object) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) if value else "(none)"
    return str(value)
