"""Offline models with fast-agent's semantics: ``passthrough`` echoes, ``playback`` replays.

Both record no token usage. They keep state (a sticky fixed response, a playback
position) in the instance, the way a fast-agent LLM does: make one per agent and run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from plait.nodes._errors import ConfigError
from plait.nodes.llm._messages import Message, StopReason, Text, ToolCall, Usage
from plait.nodes.llm._model import DeltaHandler, ModelRequest, ModelResponse, TextDelta

__all__ = [
    "CALL_TOOL_INDICATOR",
    "FIXED_RESPONSE_INDICATOR",
    "KeyedPlaybackModel",
    "PassthroughModel",
    "PlaybackModel",
]

CALL_TOOL_INDICATOR = "***CALL_TOOL"
FIXED_RESPONSE_INDICATOR = "***FIXED_RESPONSE"


class PassthroughModel:
    """Echoes the conversation back; control messages make it call tools or fix a reply.

    Only the last incoming message ``M`` counts, by these rules in order:

    1. ``M`` is an assistant message: it is returned unchanged (history replay).
    2. ``M``'s first text is ``***CALL_TOOL <name> [<json arguments>]``: the reply asks for
       that tool call (ids ``correlationId0``, ``correlationId1``, ...) and stops for tool use.
    3. ``M``'s first text is ``***FIXED_RESPONSE <text>``: ``<text>`` becomes the reply to
       this and every later call (an empty ``<text>`` fixes nothing).
    4. The reply text is the results of ``M``'s tool results joined by spaces (``<empty>``
       for an empty one); else the fixed response; else the trailing run of user messages'
       text joined by newlines.
    """

    def __init__(self, name: str = "passthrough") -> None:
        self._name = name
        self._fixed_response: str | None = None
        self._correlation_id = 0
        self.turns = 0
        """How many replies this model has given."""

    @property
    def name(self) -> str:
        """``passthrough``, unless named otherwise."""
        return self._name

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Reply by the rules above.

        Raises:
            ValueError: ``Invalid JSON arguments: ...`` for a ``***CALL_TOOL`` whose
                arguments are not JSON.
        """
        return ModelResponse(self.reply(request.messages), Usage(), self._name)

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        """As ``complete``, with the reply text delivered as one delta."""
        response = await self.complete(request)
        if response.message.text:
            on_delta(TextDelta(response.message.text))
        return response

    def reply(self, messages: tuple[Message, ...]) -> Message:
        """The reply to ``messages`` (the rules in the class docstring)."""
        self.turns += 1
        if not messages:
            return Message.assistant("", stop_reason=StopReason.END_TURN)
        last = messages[-1]
        if last.role == "assistant":
            return last
        first = last.first_text()
        calls: tuple[ToolCall, ...] = ()
        stop = StopReason.END_TURN
        if first.startswith(CALL_TOOL_INDICATOR):
            name, arguments = parse_tool_command(first)
            calls = (ToolCall(f"correlationId{self._correlation_id}", name, arguments or {}),)
            self._correlation_id += 1
            stop = StopReason.TOOL_USE
        if first.startswith(FIXED_RESPONSE_INDICATOR):
            self._fixed_response = first.split(FIXED_RESPONSE_INDICATOR, 1)[1].strip()
        if last.tool_results:
            text = " ".join(result.content or "<empty>" for result in last.tool_results)
            return Message("assistant", (Text(text),), stop)
        if self._fixed_response:
            return Message("assistant", (Text(self._fixed_response), *calls), stop)
        trailing: list[str] = []
        for message in reversed(messages):
            if message.role != "user":
                break
            trailing.append(message.text)
        text = "\n".join(reversed(trailing))
        return Message("assistant", (Text(text), *calls), stop)


def parse_tool_command(command: str) -> tuple[str, dict[str, object] | None]:
    """Split ``***CALL_TOOL <name> [<json>]`` into the tool name and its arguments.

    Raises:
        ValueError: when the name is missing or the arguments are not JSON.
    """
    parts = command.split(" ", 2)
    if len(parts) < 2 or not parts[1].strip():
        raise ValueError("Invalid format. Expected '***CALL_TOOL <tool_name> [arguments_json]'")
    name = parts[1].strip()
    if len(parts) < 3:
        return name, None
    try:
        arguments = json.loads(parts[2])
    except json.JSONDecodeError:
        raise ValueError(f"Invalid JSON arguments: {parts[2]}") from None
    if not isinstance(arguments, dict):
        raise ValueError(f"Invalid JSON arguments: {parts[2]} (expected an object)")
    return name, arguments


class PlaybackModel:
    """Replays the assistant messages of a loaded conversation, one per call, in order.

    Give it a ``history`` (``load_history(path)``) to start loaded. Otherwise the first call
    loads the incoming messages (several replace what is loaded; a single one is appended)
    and replies ``HISTORY LOADED (N) messages``. Each later call returns the next assistant
    message as stored (tool calls included, so the agent replays them), whatever it is
    asked; past the end it replies ``MESSAGES EXHAUSTED (list size N) (K overage)``, K
    counting from 0, and never raises.
    """

    def __init__(self, history: Iterable[Message] | None = None, name: str = "playback") -> None:
        self._name = name
        self._messages: list[Message] = []
        self._current_index = -1
        self._overage = -1
        if history is not None:
            self._messages = list(history)
            self._current_index = 0

    @property
    def name(self) -> str:
        """``playback``, unless named otherwise."""
        return self._name

    @property
    def loaded(self) -> bool:
        """Whether a conversation has been loaded."""
        return self._current_index != -1

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Load on the first call, then replay (see the class docstring)."""
        return ModelResponse(self.reply(request.messages), Usage(), self._name)

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        """As ``complete``, with the reply text delivered as one delta."""
        response = await self.complete(request)
        if response.message.text:
            on_delta(TextDelta(response.message.text))
        return response

    def reply(self, messages: tuple[Message, ...]) -> Message:
        """The next reply: the load acknowledgement, an assistant message, or exhaustion."""
        if self._current_index == -1:
            if len(messages) > 1:
                self._messages = list(messages)
            else:
                self._messages.extend(messages)
            self._current_index = 0
            return Message.assistant(f"HISTORY LOADED ({len(self._messages)}) messages")
        while self._current_index < len(self._messages):
            message = self._messages[self._current_index]
            self._current_index += 1
            if message.role == "assistant":
                return message
        self._overage += 1
        return Message.assistant(
            f"MESSAGES EXHAUSTED (list size {len(self._messages)}) ({self._overage} overage)"
        )


class KeyedPlaybackModel:
    """Playback keyed to the input: one recorded conversation per opening user message.

    On its first call it picks the recording whose first user message has the text of the
    first incoming user message, and from then on replays it exactly as ``PlaybackModel``
    does. Make one per agent execution, as with ``PlaybackModel``.
    """

    def __init__(
        self, recordings: Mapping[str, Sequence[Message]], *, source: str, name: str = "playback"
    ) -> None:
        self._recordings = dict(recordings)
        self._source = source
        self._name = name
        self._chosen: PlaybackModel | None = None

    @property
    def name(self) -> str:
        """``playback``, unless named otherwise."""
        return self._name

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Replay the recording this conversation opens.

        Raises:
            ConfigError: no recording opens with the first incoming user message.
        """
        return ModelResponse(self.reply(request.messages), Usage(), self._name)

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        """As ``complete``, with the reply text delivered as one delta."""
        response = await self.complete(request)
        if response.message.text:
            on_delta(TextDelta(response.message.text))
        return response

    def reply(self, messages: tuple[Message, ...]) -> Message:
        """The next assistant message of the recording that ``messages`` open."""
        if self._chosen is None:
            opening = opener(messages)
            recording = self._recordings.get(opening)
            if recording is None:
                known = ", ".join(repr(text) for text in sorted(self._recordings)) or "none"
                raise ConfigError(
                    f"playback history {self._source} has no recording that opens with "
                    f"{opening!r} (recorded: {known}); add one there, or pass --model to ask "
                    "a real model"
                )
            self._chosen = PlaybackModel(recording, name=self._name)
        return self._chosen.reply(messages)


def opener(messages: Iterable[Message]) -> str:
    """The text of the first user message (the key of a recording), stripped."""
    return next((message.text.strip() for message in messages if message.role == "user"), "")
