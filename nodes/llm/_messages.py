"""Conversation messages: roles, content parts, stop reasons and token usage.

Messages are immutable values with a plain-JSON form (``to_dict``/``from_dict``) that keeps
tool calls and results, so histories save, load and replay exactly.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal, TypeAlias, cast

__all__ = [
    "Image",
    "Message",
    "Part",
    "Role",
    "StopReason",
    "Text",
    "Thinking",
    "ToolCall",
    "ToolResult",
    "Usage",
]

Role = Literal["system", "user", "assistant"]
"""Who speaks: tool results travel back to the model in a ``user`` message."""

_ROLES: tuple[str, ...] = ("system", "user", "assistant")


class StopReason(enum.Enum):
    """Why the model stopped (the values are fast-agent's wire spellings)."""

    END_TURN = "endTurn"
    TOOL_USE = "toolUse"
    MAX_TOKENS = "maxTokens"
    STOP_SEQUENCE = "stopSequence"
    PAUSE = "pause"
    SAFETY = "safety"
    ERROR = "error"
    MAX_ITERATIONS = "maxIterations"


@dataclass(frozen=True, slots=True)
class Text:
    """Plain text."""

    text: str
    type: ClassVar[str] = "text"


@dataclass(frozen=True, slots=True)
class Image:
    """An image, as base64 ``data`` with its ``media_type``, or as a ``url``."""

    media_type: str = "image/png"
    data: str = ""
    url: str = ""
    type: ClassVar[str] = "image"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The model asks for tool ``name`` to run with ``arguments``; ``id`` pairs the result."""

    id: str
    name: str
    arguments: Mapping[str, object] = field(default_factory=dict, hash=False)
    type: ClassVar[str] = "tool_call"


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What tool call ``call_id`` returned (as text), or the error it met."""

    call_id: str
    content: str
    is_error: bool = False
    name: str = ""
    type: ClassVar[str] = "tool_result"


@dataclass(frozen=True, slots=True)
class Thinking:
    """The model's visible reasoning; ``signature`` lets a provider verify it came back."""

    text: str
    signature: str = ""
    type: ClassVar[str] = "thinking"


Part: TypeAlias = Text | Image | ToolCall | ToolResult | Thinking
"""One piece of a message's content."""

_PART_FIELDS: dict[str, tuple[type[Part], tuple[str, ...]]] = {
    "text": (Text, ("text",)),
    "image": (Image, ("media_type", "data", "url")),
    "tool_call": (ToolCall, ("id", "name", "arguments")),
    "tool_result": (ToolResult, ("call_id", "content", "is_error", "name")),
    "thinking": (Thinking, ("text", "signature")),
}


@dataclass(frozen=True, slots=True)
class Message:
    """One turn of a conversation: a role, content parts, and (for replies) a stop reason."""

    role: Role
    parts: tuple[Part, ...] = ()
    stop_reason: StopReason | None = None

    @classmethod
    def user(cls, *content: str | Part) -> Message:
        """A user message; strings become ``Text`` parts."""
        return cls("user", _parts(content))

    @classmethod
    def assistant(cls, *content: str | Part, stop_reason: StopReason | None = None) -> Message:
        """An assistant message; strings become ``Text`` parts."""
        return cls("assistant", _parts(content), stop_reason)

    @classmethod
    def system(cls, text: str) -> Message:
        """A system message (providers fold these into their system prompt)."""
        return cls("system", (Text(text),))

    @property
    def text(self) -> str:
        """All text parts joined by newlines (``""`` when there are none)."""
        return "\n".join(part.text for part in self.parts if isinstance(part, Text))

    def first_text(self) -> str:
        """The first text part, or ``""``."""
        return next((part.text for part in self.parts if isinstance(part, Text)), "")

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The tool calls this message asks for, in order."""
        return tuple(part for part in self.parts if isinstance(part, ToolCall))

    @property
    def tool_results(self) -> tuple[ToolResult, ...]:
        """The tool results this message carries, in order."""
        return tuple(part for part in self.parts if isinstance(part, ToolResult))

    def to_dict(self) -> dict[str, object]:
        """The message as plain JSON data."""
        data: dict[str, object] = {
            "role": self.role,
            "content": [_part_to_dict(part) for part in self.parts],
        }
        if self.stop_reason is not None:
            data["stop_reason"] = self.stop_reason.value
        return data

    @classmethod
    def from_dict(cls, data: object, *, where: str = "$") -> Message:
        """Read a message written by ``to_dict`` (or by fast-agent's ``.json`` history).

        ``content`` may also be a plain string, handy in hand-written YAML fixtures.

        Raises:
            ValueError: naming the path of the first thing that is wrong.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"{where}: expected a message object, got {type(data).__name__}")
        role = data.get("role")
        if role not in _ROLES:
            raise ValueError(f"{where}.role: expected one of {', '.join(_ROLES)}, got {role!r}")
        content = data.get("content", [])
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        if not isinstance(content, Sequence):
            raise ValueError(f"{where}.content: expected a list or a string")
        parts = [_part_from_dict(item, f"{where}.content[{i}]") for i, item in enumerate(content)]
        parts.extend(_fast_agent_parts(data, where))
        return cls(cast(Role, role), tuple(parts), _stop_reason(data.get("stop_reason"), where))


def _parts(content: Sequence[str | Part]) -> tuple[Part, ...]:
    return tuple(Text(item) if isinstance(item, str) else item for item in content)


def _part_to_dict(part: Part) -> dict[str, object]:
    _, names = _PART_FIELDS[part.type]
    data: dict[str, object] = {"type": part.type}
    for name in names:
        value = getattr(part, name)
        if name == "arguments":
            value = dict(value)
        if value not in ("", False) or name in ("text", "content"):
            data[name] = value
    return data


def _part_from_dict(item: object, where: str) -> Part:
    if isinstance(item, str):
        return Text(item)
    if not isinstance(item, Mapping):
        raise ValueError(f"{where}: expected a content part object")
    kind = item.get("type")
    if kind not in _PART_FIELDS:
        known = ", ".join(_PART_FIELDS)
        raise ValueError(f"{where}.type: unknown content type {kind!r} (expected {known})")
    cls, names = _PART_FIELDS[str(kind)]
    unknown = sorted(set(item) - {"type", *names})
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)} for {kind!r}")
    values = {name: item[name] for name in names if name in item}
    if "arguments" in values and not isinstance(values["arguments"], Mapping):
        raise ValueError(f"{where}.arguments: expected an object")
    try:
        return cls(**values)
    except TypeError as error:
        raise ValueError(f"{where}: {error}") from None


_FAST_AGENT_STOPS = {reason.value: reason for reason in StopReason}
_FAST_AGENT_STOPS.update({reason.name.lower(): reason for reason in StopReason})


def _stop_reason(value: object, where: str) -> StopReason | None:
    if value is None:
        return None
    found = _FAST_AGENT_STOPS.get(str(value))
    if found is None:
        known = ", ".join(reason.value for reason in StopReason)
        raise ValueError(f"{where}.stop_reason: unknown {value!r} (expected {known})")
    return found


def _fast_agent_parts(data: Mapping[str, object], where: str) -> list[Part]:
    """fast-agent keeps tool calls and results in maps beside ``content``."""
    parts: list[Part] = []
    calls = data.get("tool_calls")
    if isinstance(calls, Mapping):
        for call_id, request in calls.items():
            params = request.get("params", {}) if isinstance(request, Mapping) else {}
            arguments = params.get("arguments") or {}
            parts.append(ToolCall(str(call_id), str(params.get("name", "")), dict(arguments)))
    results = data.get("tool_results")
    if isinstance(results, Mapping):
        for call_id, result in results.items():
            if not isinstance(result, Mapping):
                raise ValueError(f"{where}.tool_results.{call_id}: expected an object")
            blocks = result.get("content", [])
            texts = [str(block.get("text", "")) for block in blocks if isinstance(block, Mapping)]
            error = bool(result.get("isError", result.get("is_error", False)))
            parts.append(ToolResult(str(call_id), "\n".join(texts), error))
    return parts


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens a model call (or a sum of calls) used.

    ``input_tokens`` counts every prompt token, cached ones (``cache_read_tokens``,
    ``cache_write_tokens``) included, whatever the provider's own convention.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    """Included in ``output_tokens`` where the provider counts them there."""
    requests: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.requests + other.requests,
        )

    def to_dict(self) -> dict[str, int]:
        """The counts as plain JSON data."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "requests": self.requests,
        }
