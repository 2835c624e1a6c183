"""Configuration: ``plait.yaml`` + ``plait.secrets.yaml`` + an environment, as frozen values.

Precedence, lowest first: built-in defaults; the providers' standard variables
(``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY``, ``ANTHROPIC_BASE_URL``, ``OPENAI_BASE_URL``) as
fallbacks; ``plait.yaml``; ``plait.secrets.yaml`` (deep-merged on top: secrets win); and
``PLAIT_`` overrides (``PLAIT_DEFAULT_MODEL``, ``PLAIT_ANTHROPIC__BASE_URL``: ``__``
descends into sections). ``${VAR}`` and ``${VAR:default}`` are substituted in every string
of both files. ``load_config`` reads only the environment mapping handed in; a
``ModelCatalog`` fills a key or base URL its configuration leaves unset from the standard
variables when it makes a client, as the SDKs do (``standard_settings``). API keys and
headers become ``Secret``s, so they never print.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from plait.nodes._errors import ConfigError
from plait.nodes._type_names import close_matches
from plait.nodes.llm._pricing import Pricing, read_pricing
from plait.nodes.llm._secret import Secret, Secrets
from plait.nodes.llm._substitution import substitute
from plait.nodes.llm._telemetry_config import TelemetryConfig, telemetry_config
from plait.nodes.llm._yaml import load_yaml, strings_in
from plait.nodes.mcp._server import MCPServer, server_secrets, servers_from_data

__all__ = [
    "CONFIG_FILE",
    "SECRETS_FILE",
    "PlaitConfig",
    "ProviderConfig",
    "RateLimit",
    "load_config",
    "standard_settings",
]

CONFIG_FILE = "plait.yaml"
SECRETS_FILE = "plait.secrets.yaml"

_PROVIDER_SECTIONS = ("anthropic", "openai", "generic")
_TOP_KEYS = (
    "default_model",
    "aliases",
    "store",
    "imports",
    "graphs",
    "pricing",
    "telemetry",
    "mcp",
    *_PROVIDER_SECTIONS,
)
_PROVIDER_KEYS = ("api_key", "base_url", "timeout", "max_tokens", "headers", "rate_limit")
_LIMIT_KEYS = ("requests_per_minute", "tokens_per_minute", "concurrent_requests")
_STANDARD_ENV = {
    ("anthropic", "api_key"): "ANTHROPIC_API_KEY",
    ("openai", "api_key"): "OPENAI_API_KEY",
    ("anthropic", "base_url"): "ANTHROPIC_BASE_URL",
    ("openai", "base_url"): "OPENAI_BASE_URL",
}
STANDARD_VARIABLES = tuple(_STANDARD_ENV.values())
"""The providers' standard variables a client reads (``ANTHROPIC_API_KEY``, ...)."""
_PLACEHOLDER_KEYS = ("", "<your-api-key-here>")
_ENV_PREFIX = "PLAIT_"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """How fast plait may call one provider with one key (``None``: no limit)."""

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    concurrent_requests: int | None = None


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One provider's settings; ``api_key`` and header values are ``Secret``s."""

    api_key: Secret | None = None
    base_url: str | None = None
    timeout: float | None = None
    """Seconds one request may take (``None``: the SDK's default)."""
    max_tokens: int | None = None
    headers: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))
    rate_limit: RateLimit | None = None


@dataclass(frozen=True, slots=True)
class PlaitConfig:
    """Everything plait was configured with. Build it with ``load_config``."""

    default_model: str | None = None
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    providers: Mapping[str, ProviderConfig] = field(default_factory=lambda: MappingProxyType({}))
    store: str | None = None
    """The checkpoint store's URL for the CLI (``sqlite:///...``, ``postgresql://...``)."""
    imports: tuple[str, ...] = ()
    """Modules the CLI imports for the registries JSON specs refer to."""
    graphs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Graph name -> ``module:attribute``: how ``plait resume`` finds a stored run's graph
    (looked up by the name the user configured, never imported from the store)."""
    pricing: Mapping[str, Pricing] = field(default_factory=lambda: MappingProxyType({}))
    mcp_servers: Mapping[str, MCPServer] = field(default_factory=lambda: MappingProxyType({}))
    """``mcp: servers:``: the MCP servers agents may name."""
    base_dir: Path = Path(".")
    """Where relative paths (a playback history) are resolved."""
    telemetry: TelemetryConfig = field(default_factory=TelemetryConfig)
    """The ``telemetry`` section: what runs record in their spans."""
    sources: tuple[str, ...] = ()
    """The files read, in order."""
    secrets: Secrets = field(default_factory=Secrets)
    """Every value known to be secret, to mask wherever it would be written down: API
    keys, header values, the secrets file's strings, secret-named variables (``*_API_KEY``,
    ``*_TOKEN``, ``*_SECRET``, ``*_PASSWORD``) of the environment read."""

    def provider(self, name: str) -> ProviderConfig:
        """The settings of provider ``name`` (empty when it was not configured)."""
        return self.providers.get(name, ProviderConfig())


def standard_settings(
    name: str, settings: ProviderConfig, environ: Mapping[str, str]
) -> ProviderConfig:
    """``settings`` of provider ``name`` with an unset API key or base URL taken from the
    provider's standard variable in ``environ`` (``ANTHROPIC_API_KEY``, ``OPENAI_BASE_URL``);
    what is set explicitly always wins."""
    key = settings.api_key
    base_url = settings.base_url
    for (provider, setting), variable in _STANDARD_ENV.items():
        value = environ.get(variable)
        if provider != name or value in (None, *_PLACEHOLDER_KEYS):
            continue
        if setting == "api_key" and key is None:
            key = Secret(str(value))
        elif setting == "base_url" and base_url is None:
            base_url = value
    if key is settings.api_key and base_url == settings.base_url:
        return settings
    return replace(settings, api_key=key, base_url=base_url)


def load_config(
    directory: str | Path = ".",
    environ: Mapping[str, str] | None = None,
    *,
    config_file: str | Path | None = None,
) -> PlaitConfig:
    """Read ``plait.yaml`` and ``plait.secrets.yaml`` from ``directory`` (either may be
    absent), apply ``environ``, and return the frozen configuration.

    ``config_file`` names the config file explicitly; the secrets file is then looked for
    beside it.

    Raises:
        ConfigError: listing every problem: invalid YAML, unknown keys (with close
            matches), wrong types, and ``${VAR}`` references to unset variables.
    """
    env = dict(environ or {})
    config_path = Path(config_file) if config_file is not None else Path(directory) / CONFIG_FILE
    if config_file is not None and not config_path.is_file():
        raise ConfigError(f"config file {config_path} does not exist")
    secrets_path = config_path.parent / SECRETS_FILE
    problems: list[str] = []
    merged: dict[str, object] = {}
    sources: list[str] = []
    secret_texts: list[str] = []
    for path in (config_path, secrets_path):
        if not path.is_file():
            continue
        sources.append(str(path))
        try:
            data = load_yaml(path.read_text(encoding="utf-8"), source=str(path))
        except ValueError as error:
            problems.append(str(error))
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(f"{path}: expected a mapping of settings at the top")
            continue
        substituted = substitute(data, env, f"{path.name}: $", problems)
        assert isinstance(substituted, dict)
        if path == secrets_path:
            secret_texts.extend(strings_in(substituted))
        _deep_merge(merged, substituted)
    _deep_merge(merged, _overrides(env))
    if problems:
        raise ConfigError(problems)
    return config_from_data(
        merged, env, base_dir=config_path.parent, sources=tuple(sources), secrets=secret_texts
    )


def config_from_data(
    data: Mapping[str, object],
    environ: Mapping[str, str] | None = None,
    *,
    base_dir: Path = Path("."),
    sources: tuple[str, ...] = (),
    secrets: Iterable[str] = (),
) -> PlaitConfig:
    """Validate already-merged settings into a ``PlaitConfig``, with standard-variable
    fallbacks from ``environ``; ``secrets`` are more values to mask (the secrets file's).

    Raises:
        ConfigError: listing every problem.
    """
    env = environ or {}
    problems: list[str] = []
    _unknown_keys(data, _TOP_KEYS, "$", problems)
    default_model = _optional_str(data.get("default_model"), "$.default_model", problems)
    store = _optional_str(data.get("store"), "$.store", problems)
    imports = _strings(data.get("imports") or [], "$.imports", problems)
    graphs: dict[str, str] = {}
    raw_graphs = data.get("graphs") or {}
    if isinstance(raw_graphs, Mapping):
        for name, target in raw_graphs.items():
            if isinstance(target, str) and ":" in target:
                graphs[str(name)] = target
            else:
                problems.append(f"$.graphs.{name}: expected `module:attribute`")
    else:
        problems.append("$.graphs: expected a mapping of graph name: module:attribute")
    aliases: dict[str, str] = {}
    raw_aliases = data.get("aliases") or {}
    if isinstance(raw_aliases, Mapping):
        for name, target in raw_aliases.items():
            if isinstance(target, str) and target:
                aliases[str(name)] = target
            else:
                problems.append(f"$.aliases.{name}: expected a model string")
    else:
        problems.append("$.aliases: expected a mapping of alias: model string")
    pricing = read_pricing(data.get("pricing"), problems)
    providers: dict[str, ProviderConfig] = {}
    for name in _PROVIDER_SECTIONS:
        section = data.get(name) or {}
        if not isinstance(section, Mapping):
            problems.append(f"$.{name}: expected a mapping of settings")
            continue
        section = dict(section)
        for (provider, key), variable in _STANDARD_ENV.items():
            unset = section.get(key) in (None, *_PLACEHOLDER_KEYS)
            if provider == name and unset and env.get(variable):
                section[key] = env[variable]
        providers[name] = _provider(name, section, problems)
    telemetry = telemetry_config(data.get("telemetry"), problems)
    mcp_servers = servers_from_data(data.get("mcp"), problems)
    if problems:
        raise ConfigError(problems)
    return PlaitConfig(
        default_model=default_model,
        aliases=MappingProxyType(aliases),
        providers=MappingProxyType(providers),
        store=store,
        imports=tuple(imports),
        graphs=MappingProxyType(graphs),
        pricing=MappingProxyType(pricing),
        mcp_servers=MappingProxyType(mcp_servers),
        base_dir=base_dir,
        telemetry=telemetry,
        sources=sources,
        secrets=Secrets(
            [*secrets, *_provider_secrets(providers.values()), *server_secrets(mcp_servers)]
        )
        | Secrets.of_environment(env),
    )


def _provider_secrets(providers: Iterable[ProviderConfig]) -> Iterator[Secret | None]:
    for provider in providers:
        yield provider.api_key
        yield from provider.headers.values()


def _provider(name: str, section: Mapping[str, object], problems: list[str]) -> ProviderConfig:
    where = f"$.{name}"
    _unknown_keys(section, _PROVIDER_KEYS, where, problems)
    raw_key = section.get("api_key")
    api_key: Secret | None = None
    if isinstance(raw_key, str):
        api_key = None if raw_key in _PLACEHOLDER_KEYS else Secret(raw_key)
    elif raw_key is not None:
        problems.append(f"{where}.api_key: expected a string")  # never echo the value
    headers: dict[str, Secret] = {}
    raw_headers = section.get("headers") or {}
    if isinstance(raw_headers, Mapping):
        headers = {str(key): Secret(str(value)) for key, value in raw_headers.items()}
    else:
        problems.append(f"{where}.headers: expected a mapping of header: value")
    limit: RateLimit | None = None
    raw_limit = section.get("rate_limit")
    if isinstance(raw_limit, Mapping):
        _unknown_keys(raw_limit, _LIMIT_KEYS, f"{where}.rate_limit", problems)
        per_minute = {
            key: _number(raw_limit.get(key), f"{where}.rate_limit.{key}", problems)
            for key in _LIMIT_KEYS
        }
        concurrent = per_minute["concurrent_requests"]
        limit = RateLimit(
            per_minute["requests_per_minute"],
            per_minute["tokens_per_minute"],
            None if concurrent is None else int(concurrent),
        )
    elif raw_limit is not None:
        problems.append(f"{where}.rate_limit: expected a mapping ({', '.join(_LIMIT_KEYS)})")
    max_tokens = _number(section.get("max_tokens"), f"{where}.max_tokens", problems)
    return ProviderConfig(
        api_key=api_key,
        base_url=_optional_str(section.get("base_url"), f"{where}.base_url", problems),
        timeout=_number(section.get("timeout"), f"{where}.timeout", problems),
        max_tokens=None if max_tokens is None else int(max_tokens),
        headers=MappingProxyType(headers),
        rate_limit=limit,
    )


def _unknown_keys(
    data: Mapping[str, object], known: tuple[str, ...], where: str, problems: list[str]
) -> None:
    for key in data:
        if key not in known:
            near = close_matches(str(key), known)
            hint = f" (did you mean `{near[0]}`?)" if near else ""
            problems.append(f"{where}: unknown key `{key}`{hint}; known keys: {', '.join(known)}")


def _strings(value: object, where: str, problems: list[str]) -> list[str]:
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return list(value)
    problems.append(f"{where}: expected a list of module names")
    return []


def _optional_str(value: object, where: str, problems: list[str]) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    problems.append(f"{where}: expected a string, got {type(value).__name__}")
    return None


def _number(value: object, where: str, problems: list[str]) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        problems.append(f"{where}: expected a positive number, got a boolean")
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append(f"{where}: expected a positive number, got {value!r}")
        return None
    if number <= 0:
        problems.append(f"{where}: expected a positive number, got {value!r}")
        return None
    return number


def _deep_merge(target: dict[str, object], extra: Mapping[str, object]) -> None:
    for key, value in extra.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            _deep_merge(current, value)
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value


def _overrides(env: Mapping[str, str]) -> dict[str, object]:
    """``PLAIT_A__B=v`` as ``{"a": {"b": "v"}}``, for keys under known top-level settings."""
    found: dict[str, object] = {}
    for name in sorted(env):
        if not name.startswith(_ENV_PREFIX):
            continue
        path = [part.lower() for part in name[len(_ENV_PREFIX) :].split("__")]
        if path[0] not in _TOP_KEYS or not all(path):
            continue  # other PLAIT_ variables belong to other tools (the CLI, say)
        node = found
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[path[-1]] = env[name]
    return found
