"""The model catalog: model strings to clients, with keys, base URLs, aliases and limits."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import TracebackType

import anyio

from plait.nodes._errors import ConfigError
from plait.nodes.llm._config import (
    STANDARD_VARIABLES,
    PlaitConfig,
    ProviderConfig,
    standard_settings,
)
from plait.nodes.llm._history import load_history
from plait.nodes.llm._limits import RateLimitedModel, RateLimiter
from plait.nodes.llm._messages import Message, Usage
from plait.nodes.llm._model import ModelClient
from plait.nodes.llm._model_string import ModelSpec, parse_model
from plait.nodes.llm._offline import KeyedPlaybackModel, PassthroughModel, PlaybackModel, opener
from plait.nodes.llm._pricing import PRICING, Pricing
from plait.nodes.llm._secret import Secret, Secrets
from plait.nodes.llm.providers._clients import ClientPool

__all__ = ["ModelCatalog"]

GENERIC_BASE_URL = "http://localhost:11434/v1"
_KEY_VARIABLES = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}


class ModelCatalog:
    """Resolves model strings into model clients, using a ``PlaitConfig``.

    Agents without one use ``ModelCatalog()``; give them your own (usually
    ``ModelCatalog(load_config(".", os.environ))``) for ``plait.yaml``'s aliases and
    settings. Like the SDKs, a catalog reads ``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY``,
    ``ANTHROPIC_BASE_URL`` and ``OPENAI_BASE_URL`` when it makes a client, for what its
    configuration leaves unset: ``environ``, or ``os.environ`` when none is given (pass
    ``{}`` to read no variable). It keeps one rate limiter per provider key, shared by every
    client it makes; each ``client()`` call gives a fresh client (a fresh playback
    position, too).

    While it is open (``async with catalog:``, or until ``aclose()``), the provider SDK
    clients behind its model clients are built once per key, base URL and options and
    shared, with their kept-alive connections; closing it closes them. Outside, every
    call builds and closes an SDK client of its own. The CLI opens it around a run.
    """

    def __init__(
        self,
        config: PlaitConfig | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        pricing: Mapping[str, Pricing] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.config = config or PlaitConfig()
        self._environ = environ
        self._pricing = {**PRICING, **self.config.pricing, **(pricing or {})}
        self._clock = clock
        self._sleep = sleep
        self._limiters: dict[tuple[str, str], RateLimiter] = {}
        self._clients = ClientPool()
        self._settings: dict[str, tuple[tuple[str | None, ...], ProviderConfig]] = {}
        self._secrets: tuple[tuple[ProviderConfig, ...], Secrets] | None = None
        self._made: dict[ModelSpec, tuple[ProviderConfig, Secrets, ModelClient]] = {}

    async def __aenter__(self) -> ModelCatalog:
        await self._clients.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._clients.__aexit__(exc_type, exc, traceback)

    async def aclose(self) -> None:
        """Close the SDK clients kept for the running event loop."""
        await self._clients.aclose()

    def __repr__(self) -> str:
        return f"ModelCatalog(default_model={self.config.default_model!r})"

    def parse(self, model: str | None = None) -> ModelSpec:
        """Parse ``model`` with the configured aliases; ``None`` means the default model.

        Raises:
            ConfigError: for an unknown model, or no model and no default.
        """
        if model is None:
            model = self.config.default_model
        if model is None:
            raise ConfigError(
                "no model given and no default: pass model=..., or set default_model in "
                "plait.yaml (or PLAIT_DEFAULT_MODEL)"
            )
        return parse_model(model, self.config.aliases)

    def provider(self, name: str) -> ProviderConfig:
        """Provider ``name``'s settings as a client made now gets them: the configuration's,
        with the standard variables filling an unset key or base URL."""
        environ = os.environ if self._environ is None else self._environ
        seen = tuple(environ.get(variable) for variable in STANDARD_VARIABLES)
        known = self._settings.get(name)
        if known is None or known[0] != seen:  # read again only when a variable changed
            known = (seen, standard_settings(name, self.config.provider(name), environ))
            self._settings[name] = known
        return known[1]

    def secrets(self) -> Secrets:
        """Every secret its clients may use or see: the configuration's, and the keys and
        headers each provider gets now (the standard variables' keys included)."""
        providers = tuple(self.provider(name) for name in ("anthropic", "openai", "generic"))
        if self._secrets is not None and self._secrets[0] == providers:
            return self._secrets[1]
        found: list[Secret | None] = []
        for settings in providers:
            found.extend((settings.api_key, *settings.headers.values()))
        secrets = self.config.secrets | Secrets(found)
        self._secrets = (providers, secrets)
        return secrets

    def client(self, model: str | ModelSpec | None = None) -> ModelClient:
        """A client for ``model``: a new one for an offline model (its own playback
        position), the same one for a provider's model while its settings stay the same.

        Raises:
            ConfigError: for an unknown model, a provider without an API key, or a
                playback history that cannot be read.
        """
        spec = model if isinstance(model, ModelSpec) else self.parse(model)
        options = dict(spec.options)
        if spec.provider == "passthrough":
            return PassthroughModel()
        if spec.provider == "playback":
            return self._playback(options.get("history"))
        settings = self.provider(spec.provider)
        key = settings.api_key
        if spec.provider == "generic" and key is None:
            key = Secret("ollama")  # local OpenAI-compatible servers ignore the key
        if key is None:
            variable = _KEY_VARIABLES.get(spec.provider, f"{spec.provider.upper()}_API_KEY")
            raise ConfigError(
                f"no API key for `{spec.provider}` (model `{spec}`): set {variable} in the "
                f"environment, or {spec.provider}.api_key in plait.secrets.yaml"
            )
        secrets = self.secrets()
        made = self._made.get(spec)
        if made is not None and made[0] is settings and made[1] is secrets:
            return made[2]  # a provider's client keeps no state between calls: reuse it
        client = self._provider_client(spec, settings, key, secrets)
        self._made[spec] = (settings, secrets, client)
        return client

    def _provider_client(
        self, spec: ModelSpec, settings: ProviderConfig, key: Secret, secrets: Secrets
    ) -> ModelClient:
        options = dict(spec.options)
        client: ModelClient
        if spec.provider == "anthropic":
            from plait.nodes.llm.providers._anthropic import AnthropicModel

            client = AnthropicModel(
                spec.model,
                api_key=key,
                base_url=settings.base_url,
                timeout=settings.timeout,
                max_tokens=settings.max_tokens,
                headers=settings.headers,
                options=options,
                clients=self._clients,
                secrets=secrets,
            )
        else:
            from plait.nodes.llm.providers._openai import OpenAIModel

            generic = spec.provider == "generic"
            client = OpenAIModel(
                spec.model,
                api_key=key,
                base_url=settings.base_url or (GENERIC_BASE_URL if generic else None),
                api="chat" if generic or options.get("api") == "chat" else "responses",
                provider=spec.provider,
                timeout=settings.timeout,
                max_tokens=settings.max_tokens,
                headers=settings.headers,
                options=options,
                clients=self._clients,
                secrets=secrets,
            )
        if settings.rate_limit is None:
            return client
        slot = (spec.provider, key.fingerprint)
        limiter = self._limiters.get(slot)
        if limiter is None:
            limiter = RateLimiter(settings.rate_limit, clock=self._clock, sleep=self._sleep)
            self._limiters[slot] = limiter
        return RateLimitedModel(client, limiter)

    def cost(self, model: str, usage: Usage) -> float | None:
        """What ``usage`` of ``model`` (a client's ``name``) cost in US dollars, if known."""
        name = model.split("?")[0]
        pricing = self._pricing.get(name)
        if pricing is None:
            return 0.0 if name in ("passthrough", "playback", "scripted") else None
        return pricing.cost(usage)

    def _playback(self, history: str | None) -> ModelClient:
        if history is None:
            return PlaybackModel()
        path = self.config.base_dir / history
        try:
            if path.is_dir():  # one recording per opening user message
                return KeyedPlaybackModel(_recordings(path), source=str(path))
            return PlaybackModel(load_history(path))
        except (OSError, ValueError) as error:
            raise ConfigError(f"playback history {path} cannot be read: {error}") from None


def _recordings(folder: Path) -> dict[str, tuple[Message, ...]]:
    """The ``.yaml``/``.yml``/``.json`` histories in ``folder``, by their opening message.

    Raises:
        ValueError: a history that cannot be read, or two that open the same way.
    """
    found: dict[str, tuple[Message, ...]] = {}
    where: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".yaml", ".yml", ".json"):
            continue
        messages = load_history(path)
        key = opener(messages)
        if key in where:
            raise ValueError(f"{where[key].name} and {path.name} both open with {key!r}")
        found[key] = messages
        where[key] = path
    return found
