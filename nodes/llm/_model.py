"""The model-client protocol: one request in, one reply out, optionally streamed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias, runtime_checkable

from plait.nodes.llm._messages import Message, StopReason, Usage

__all__ = [
    "Delta",
    "DeltaHandler",
    "ModelClient",
    "ModelRequest",
    "ModelResponse",
    "OutputSchema",
    "TextDelta",
    "ThinkingDelta",
    "ToolCallDelta",
    "ToolChoice",
    "ToolSpec",
]

ToolChoice: TypeAlias = str
"""``"auto"`` (the model decides), ``"any"`` (it must call one), ``"none"``, or a tool name."""


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as the model sees it: a name, what it does, and its arguments' JSON Schema."""

    name: str
    description: str
    parameters: Mapping[str, object] = field(hash=False)


@dataclass(frozen=True, slots=True)
class OutputSchema:
    """Ask for a structured reply: JSON matching ``schema`` (a JSON Schema object)."""

    name: str
    schema: Mapping[str, object] = field(hash=False)


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """Everything a model needs for one call. Options not set here come from the client."""

    messages: tuple[Message, ...]
    system: str = ""
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice = "auto"
    parallel_tool_calls: bool = True
    output: OutputSchema | None = None
    max_tokens: int | None = None
    reasoning: str | None = None
    """An effort (``none`` ... ``max``, ``auto``) or a token budget; overrides the client's."""


@dataclass(frozen=True, slots=True)
class ModelResponse:
    """The model's reply (an assistant message), what it cost in tokens, and who answered."""

    message: Message
    usage: Usage = field(default_factory=Usage)
    model: str = ""

    @property
    def stop_reason(self) -> StopReason:
        """Why the model stopped (``END_TURN`` when the provider did not say)."""
        return self.message.stop_reason or StopReason.END_TURN


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of streamed reply text."""

    text: str


@dataclass(frozen=True, slots=True)
class ThinkingDelta:
    """A piece of streamed reasoning text."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of a streamed tool call: ``id`` and ``name`` come with the first piece."""

    index: int
    id: str = ""
    name: str = ""
    arguments: str = ""
    """A fragment of the arguments' JSON text."""


Delta: TypeAlias = TextDelta | ThinkingDelta | ToolCallDelta
DeltaHandler: TypeAlias = Callable[[Delta], None]


@runtime_checkable
class ModelClient(Protocol):
    """A language model behind one small interface (a provider, or an offline model).

    Implementations raise ``ProviderError`` subclasses for provider failures, never an
    SDK's own exceptions, and never put an API key in a message.
    """

    @property
    def name(self) -> str:
        """The resolved model string, e.g. ``anthropic.claude-sonnet-5``."""
        ...

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Ask the model once and return its whole reply."""
        ...

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        """Ask the model once, calling ``on_delta`` for each piece as it arrives."""
        ...
