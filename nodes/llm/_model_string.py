"""Model strings: ``provider.model`` or ``provider:model``, aliases, options as a query.

``sonnet``, ``anthropic.claude-sonnet-5``, ``openai:gpt-4.1?reasoning=high`` and
``generic.llama3.2:latest`` all parse to a ``ModelSpec``. An alias may carry options of its
own; options written in the string win over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from plait.nodes._errors import ConfigError
from plait.nodes._type_names import close_matches

__all__ = ["ALIASES", "PROVIDERS", "REASONING_EFFORTS", "ModelSpec", "parse_model"]

PROVIDERS: tuple[str, ...] = ("anthropic", "openai", "generic", "passthrough", "playback")
"""``openai`` speaks the Responses API (``?api=chat`` for Chat Completions); ``generic`` is
any OpenAI-compatible server (Chat Completions at its own ``base_url``)."""

ALIASES: Mapping[str, str] = {
    "sonnet": "anthropic.claude-sonnet-5",
    "haiku": "anthropic.claude-haiku-4-5",
    "opus": "anthropic.claude-opus-5",
    "gpt-4.1": "openai.gpt-4.1",
    "gpt-4.1-mini": "openai.gpt-4.1-mini",
    "gpt-4.1-nano": "openai.gpt-4.1-nano",
    "gpt-4o": "openai.gpt-4o",
    "gpt-4o-mini": "openai.gpt-4o-mini",
    "gpt-5": "openai.gpt-5",
    "gpt-5-mini": "openai.gpt-5-mini",
    "gpt-5-nano": "openai.gpt-5-nano",
    "gpt-5.5": "openai.gpt-5.5?reasoning=medium",
    "codex": "openai.gpt-5.3-codex",
    "o3": "openai.o3",
    "o4-mini": "openai.o4-mini",
    "passthrough": "passthrough",
    "playback": "playback",
}
"""The built-in aliases; configuration may add more (``aliases:`` in ``plait.yaml``)."""

REASONING_EFFORTS: tuple[str, ...] = (
    "auto",
    "none",
    "minimal",
    "low",
    "medium",
    "high",
    "xhigh",
    "max",
)
_TOGGLES = {"on": "auto", "true": "auto", "off": "none", "false": "none", "adaptive": "auto"}
_OPTION_KEYS = ("api", "history", "max_tokens", "reasoning", "temperature", "top_p")
# A bare model name (no provider) is placed by its family.
_FAMILIES: tuple[tuple[str, str], ...] = (
    ("claude-", "anthropic"),
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("codex-", "openai"),
)
_MAX_ALIAS_DEPTH = 8


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A parsed model string: which provider, which model, and options."""

    provider: str
    model: str
    options: tuple[tuple[str, str], ...] = ()
    """Sorted ``(key, value)`` pairs: ``reasoning``, ``max_tokens``, ``temperature``,
    ``top_p``, ``api`` (``responses``/``chat``), ``history`` (a playback file, or a folder
    of them: one recording per opening user message)."""

    def option(self, key: str) -> str | None:
        """The value of option ``key``, if set."""
        return dict(self.options).get(key)

    def __str__(self) -> str:
        base = self.provider if self.model == self.provider else f"{self.provider}.{self.model}"
        if not self.options:
            return base
        return base + "?" + "&".join(f"{key}={value}" for key, value in self.options)


def parse_model(text: str, aliases: Mapping[str, str] | None = None) -> ModelSpec:
    """Parse a model string, expanding aliases (built-in, then ``aliases`` given).

    Raises:
        ConfigError: for an unknown model or provider (listing close matches), an unknown
            option, or an option value that does not fit.
    """
    table = {**ALIASES, **(aliases or {})}
    base, _, query = text.strip().partition("?")
    options = _parse_query(query, text)
    seen: list[str] = []
    while base in table and len(seen) < _MAX_ALIAS_DEPTH:
        seen.append(base)
        expanded_base, _, expanded_query = table[base].partition("?")
        options = {**_parse_query(expanded_query, table[base]), **options}
        if expanded_base == base:
            break
        base = expanded_base
    if len(seen) >= _MAX_ALIAS_DEPTH:
        raise ConfigError(f"model alias `{seen[0]}` expands in a cycle: {' -> '.join(seen)}")
    provider, model = _split(base, text, table)
    return ModelSpec(provider, model, tuple(sorted(options.items())))


def _split(base: str, text: str, aliases: Mapping[str, str]) -> tuple[str, str]:
    if base in ("passthrough", "playback"):
        return base, base
    cut = min((i for i in (base.find("."), base.find(":"), base.find("/")) if i > 0), default=-1)
    if cut > 0 and base[:cut] in PROVIDERS:
        model = base[cut + 1 :]
        if not model:
            raise ConfigError(
                f"model string `{text}` names provider `{base[:cut]}` but no model "
                f"(write `{base[:cut]}.<model>`)"
            )
        return base[:cut], model
    for prefix, provider in _FAMILIES:
        if base.startswith(prefix):
            return provider, base
    near = _near(base, cut, aliases)
    hint = f"did you mean {', '.join(f'`{n}`' for n in near)}? " if near else ""
    raise ConfigError(
        f"unknown model `{text}`: {hint}write it as `provider.model` "
        f"(providers: {', '.join(PROVIDERS)}), or use an alias such as `sonnet` or `gpt-4.1`"
    )


def _near(base: str, cut: int, aliases: Mapping[str, str]) -> list[str]:
    """Model strings close to an unknown ``base``: the same model under a provider close
    to the one written, else close aliases and the models they name."""
    if cut > 0:
        providers = close_matches(base[:cut], PROVIDERS)
        if providers:
            return [f"{provider}.{base[cut + 1 :]}" for provider in providers]
    named = [*aliases, *(target.partition("?")[0] for target in aliases.values())]
    return close_matches(base, dict.fromkeys(named))


def _parse_query(query: str, text: str) -> dict[str, str]:
    if not query:
        return {}
    options: dict[str, str] = {}
    problems: list[str] = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in _OPTION_KEYS:
            near = close_matches(key, _OPTION_KEYS)
            hint = f" (did you mean `{near[0]}`?)" if near else ""
            problems.append(
                f"model string `{text}`: unknown option `{key}`{hint}; "
                f"known options: {', '.join(_OPTION_KEYS)}"
            )
            continue
        problem = _check_option(key, value)
        if problem:
            problems.append(f"model string `{text}`: option `{key}={value}` {problem}")
            continue
        options[key] = _TOGGLES.get(value.lower(), value) if key == "reasoning" else value
    if problems:
        raise ConfigError(problems)
    return options


def _check_option(key: str, value: str) -> str:
    if key == "reasoning":
        if value.lower() in REASONING_EFFORTS or value.lower() in _TOGGLES:
            return ""
        if value.isdigit() and int(value) > 0:
            return ""
        return f"is not an effort ({', '.join(REASONING_EFFORTS)}), on/off, or a token budget"
    if key == "max_tokens":
        return "" if value.isdigit() and int(value) > 0 else "must be a positive whole number"
    if key in ("temperature", "top_p"):
        try:
            float(value)
        except ValueError:
            return "must be a number"
        return ""
    if key == "api":
        return "" if value in ("responses", "chat") else "must be `responses` or `chat`"
    return "" if value else "must not be empty"
