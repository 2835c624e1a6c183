"""One JSON encoding of model requests, replies and tool results, shared by every record.

The effect journal (``plait.nodes.agents._journal``) and the cassettes
(``plait.testing``) both write calls with these functions (as canonical JSON, which the
journal hashes) and say what changed with ``differences``: one encoding, one keying.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from plait.nodes.llm._messages import Message, ToolCall, ToolResult, Usage
from plait.nodes.llm._model import ModelRequest, ModelResponse

__all__ = [
    "canonical_json",
    "differences",
    "messages_data",
    "messages_from_data",
    "request_data",
    "response_data",
    "response_from_data",
    "tool_request_data",
    "tool_result_data",
    "tool_result_from_data",
]


def canonical_json(data: object) -> bytes:
    """``data`` as canonical JSON bytes: sorted keys, no spaces, UTF-8."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def request_data(request: ModelRequest, model: str | None = None) -> dict[str, object]:
    """A model request as JSON data (with the model's name, when given)."""
    data: dict[str, object] = {
        "system": request.system,
        "messages": [message.to_dict() for message in request.messages],
        "tools": [
            {"name": t.name, "description": t.description, "parameters": dict(t.parameters)}
            for t in request.tools
        ],
        "tool_choice": request.tool_choice,
        "parallel_tool_calls": request.parallel_tool_calls,
        "output": None
        if request.output is None
        else {"name": request.output.name, "schema": dict(request.output.schema)},
        "max_tokens": request.max_tokens,
        "reasoning": request.reasoning,
    }
    if model is not None:
        data["model_name"] = model
    return data


def response_data(response: ModelResponse) -> dict[str, object]:
    """A model reply as JSON data: the message (parts, stop reason), usage, model."""
    return {
        "message": response.message.to_dict(),
        "usage": response.usage.to_dict(),
        "model": response.model,
    }


def response_from_data(data: object) -> ModelResponse:
    """The reply ``response_data`` wrote.

    Raises:
        ValueError: when ``data`` is not such a reply.
    """
    if not isinstance(data, Mapping):
        raise ValueError("a recorded call has no response")
    usage = data.get("usage")
    counts = {k: int(v) for k, v in usage.items()} if isinstance(usage, Mapping) else {}
    return ModelResponse(
        Message.from_dict(data.get("message")), Usage(**counts), str(data.get("model", ""))
    )


def messages_data(messages: Sequence[Message]) -> list[dict[str, object]]:
    """Conversation messages as JSON data (a thread's turn)."""
    return [message.to_dict() for message in messages]


def messages_from_data(data: object) -> tuple[Message, ...]:
    """The messages ``messages_data`` wrote.

    Raises:
        ValueError: naming the path of the first message that is not one.
    """
    if not isinstance(data, list):
        raise ValueError("$: expected a list of messages")
    return tuple(Message.from_dict(item, where=f"$[{index}]") for index, item in enumerate(data))


def tool_request_data(call: ToolCall) -> dict[str, object]:
    """What identifies a tool call: its tool's name and arguments (not its id)."""
    return {"name": call.name, "arguments": dict(call.arguments)}


def tool_result_data(result: ToolResult) -> dict[str, object]:
    """A tool result as JSON data (without the call's id and tool name: the call has them)."""
    return {"content": result.content, "is_error": result.is_error}


def tool_result_from_data(call: ToolCall, data: object) -> ToolResult:
    """The result ``tool_result_data`` wrote, for ``call``.

    Raises:
        ValueError: when ``data`` is not such a result.
    """
    if not isinstance(data, Mapping):
        raise ValueError("a recorded tool call has no result")
    return ToolResult(
        call.id, str(data.get("content", "")), is_error=bool(data.get("is_error")), name=call.name
    )


def differences(recorded: object, now: object, where: str = "$", limit: int = 8) -> tuple[str, ...]:
    """Where two JSON values differ, one line each (``where: recorded -> now``)."""
    found: list[str] = []
    _walk(recorded, now, where, found, limit)
    return tuple(found)


def _walk(a: object, b: object, where: str, found: list[str], limit: int) -> None:
    if len(found) >= limit or a == b:
        return
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted({*a, *b}, key=str):
            if key not in a:
                found.append(f"{where}.{key}: added {_short(b[key])}")
            elif key not in b:
                found.append(f"{where}.{key}: removed {_short(a[key])}")
            else:
                _walk(a[key], b[key], f"{where}.{key}", found, limit)
            if len(found) >= limit:
                return
        return
    if isinstance(a, list) and isinstance(b, list):
        for index in range(max(len(a), len(b))):
            if index >= len(a):
                found.append(f"{where}[{index}]: added {_short(b[index])}")
            elif index >= len(b):
                found.append(f"{where}[{index}]: removed {_short(a[index])}")
            else:
                _walk(a[index], b[index], f"{where}[{index}]", found, limit)
            if len(found) >= limit:
                return
        return
    found.append(f"{where}: {_short(a)} -> {_short(b)}")


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."
