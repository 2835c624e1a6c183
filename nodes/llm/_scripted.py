"""A scripted model for tests: replies from a list, every request recorded."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TypeAlias

from plait.nodes.llm._messages import Message, StopReason, Text, Usage
from plait.nodes.llm._model import (
    DeltaHandler,
    ModelRequest,
    ModelResponse,
    TextDelta,
    ToolCallDelta,
)

__all__ = ["SCRIPTED_USAGE", "ScriptedModel", "ScriptedReply"]

SCRIPTED_USAGE = Usage(input_tokens=10, output_tokens=5, requests=1)
"""What each scripted reply reports using, unless told otherwise."""

ScriptedReply: TypeAlias = (
    str | Message | ModelResponse | BaseException | Callable[[ModelRequest], "ScriptedReply"]
)
"""One scripted turn: text, a message, a full response, an error to raise, or a function
of the request returning one of those."""


class ScriptedModel:
    """Answers each call with the next scripted reply and keeps every request it saw.

    Strings become assistant text; a message with tool calls stops for tool use; an
    exception is raised (to test retries and error paths). Streaming delivers the text word
    by word and each tool call's arguments in two pieces, as providers do.
    """

    def __init__(
        self,
        replies: Iterable[ScriptedReply],
        *,
        name: str = "scripted",
        usage: Usage = SCRIPTED_USAGE,
    ) -> None:
        self._name = name
        self._replies = list(replies)
        self._usage = usage
        self.requests: list[ModelRequest] = []
        """Every request received, in order."""

    @property
    def name(self) -> str:
        """``scripted``, unless named otherwise."""
        return self._name

    @property
    def remaining(self) -> int:
        """How many scripted replies are left."""
        return len(self._replies)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The next scripted reply.

        Raises:
            RuntimeError: when the script has run out.
            BaseException: a scripted exception, as given.
        """
        self.requests.append(request)
        if not self._replies:
            raise RuntimeError(
                f"scripted model `{self._name}` has no reply left for request "
                f"{len(self.requests)} (add more replies to the script)"
            )
        return self._response(self._replies.pop(0), request)

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        """As ``complete``, with the reply delivered in pieces first."""
        response = await self.complete(request)
        words = response.message.text.split(" ")
        for index, word in enumerate(words):
            if word or index:
                on_delta(TextDelta(word if index == 0 else " " + word))
        for index, call in enumerate(response.message.tool_calls):
            arguments = json.dumps(dict(call.arguments))
            half = len(arguments) // 2
            on_delta(ToolCallDelta(index, call.id, call.name, arguments[:half]))
            on_delta(ToolCallDelta(index, arguments=arguments[half:]))
        return response

    def _response(self, reply: ScriptedReply, request: ModelRequest) -> ModelResponse:
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, ModelResponse):
            return reply
        if isinstance(reply, str):
            message = Message("assistant", (Text(reply),), StopReason.END_TURN)
            return ModelResponse(message, self._usage, self._name)
        if isinstance(reply, Message):
            stop = reply.stop_reason
            if stop is None:
                stop = StopReason.TOOL_USE if reply.tool_calls else StopReason.END_TURN
            message = Message(reply.role, reply.parts, stop)
            return ModelResponse(message, self._usage, self._name)
        return self._response(reply(request), request)
