"""OpenAI's wire formats (Responses and Chat Completions), for the fake server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tests.fakes.server import Reply


def _halves(value: str) -> list[str]:
    middle = max(1, len(value) // 2)
    return [value[:middle], value[middle:]]


def output_message(text: str, id: str = "msg_1") -> dict[str, Any]:
    return {
        "type": "message",
        "id": id,
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def function_call(call_id: str, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": f"fc_{call_id}",
        "call_id": call_id,
        "name": name,
        "arguments": json.dumps(dict(arguments)),
        "status": "completed",
    }


def _response_body(
    output: list[dict[str, Any]], usage: tuple[int, int], status: str = "completed"
) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1700000000,
        "status": status,
        "model": "gpt-5.5",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": usage[0],
            "output_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }


def response(*output: dict[str, Any], usage: tuple[int, int] = (20, 9)) -> Reply:
    return Reply(body=_response_body(list(output), usage))


def response_stream(
    *output: dict[str, Any], usage: tuple[int, int] = (20, 9), error_after: int | None = None
) -> Reply:
    """A streamed Responses reply; text and arguments arrive as two deltas each."""
    events: list[dict[str, Any]] = [
        {
            "type": "response.created",
            "response": {**_response_body([], usage, "in_progress"), "usage": None},
        }
    ]
    for index, item in enumerate(output):
        if item["type"] == "message":
            text = item["content"][0]["text"]
            empty = {**item, "status": "in_progress", "content": []}
            part = {"type": "output_text", "text": "", "annotations": []}
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": empty}
            )
            events.append(
                {
                    "type": "response.content_part.added",
                    "item_id": item["id"],
                    "output_index": index,
                    "content_index": 0,
                    "part": part,
                }
            )
            for piece in _halves(text):
                events.append(
                    {
                        "type": "response.output_text.delta",
                        "item_id": item["id"],
                        "output_index": index,
                        "content_index": 0,
                        "delta": piece,
                        "logprobs": [],
                    }
                )
            events.append(
                {
                    "type": "response.output_text.done",
                    "item_id": item["id"],
                    "output_index": index,
                    "content_index": 0,
                    "text": text,
                    "logprobs": [],
                }
            )
            events.append(
                {
                    "type": "response.content_part.done",
                    "item_id": item["id"],
                    "output_index": index,
                    "content_index": 0,
                    "part": {**part, "text": text},
                }
            )
        else:
            empty = {**item, "arguments": "", "status": "in_progress"}
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": empty}
            )
            for piece in _halves(item["arguments"]):
                events.append(
                    {
                        "type": "response.function_call_arguments.delta",
                        "item_id": item["id"],
                        "output_index": index,
                        "delta": piece,
                    }
                )
            events.append(
                {
                    "type": "response.function_call_arguments.done",
                    "item_id": item["id"],
                    "output_index": index,
                    "arguments": item["arguments"],
                    "name": item["name"],
                }
            )
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": _response_body(list(output), usage)})
    if error_after is not None:
        events = events[:error_after]
        events.append({"type": "error", "code": "server_error", "message": "boom", "param": None})
    numbered = [{**event, "sequence_number": n} for n, event in enumerate(events)]
    return Reply(events=[(event["type"], event) for event in numbered])


def completion(
    content: str | None = None,
    tool_calls: list[tuple[str, str, Mapping[str, Any]]] = (),  # type: ignore[assignment]
    finish_reason: str = "stop",
    usage: tuple[int, int] = (15, 6),
) -> Reply:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {
                "id": id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(dict(args))},
            }
            for id, name, args in tool_calls
        ]
    return Reply(
        body={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "gpt-4.1",
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {
                "prompt_tokens": usage[0],
                "completion_tokens": usage[1],
                "total_tokens": usage[0] + usage[1],
            },
        }
    )


def completion_stream(
    content: str | None = None,
    tool_calls: list[tuple[str, str, Mapping[str, Any]]] = (),  # type: ignore[assignment]
    finish_reason: str = "stop",
    usage: tuple[int, int] = (15, 6),
    error_after: int | None = None,
) -> Reply:
    """Chunks: text in two pieces; each tool call's id and name first, arguments in two."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-2",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-4.1",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks: list[dict[str, Any] | str] = [chunk({"role": "assistant", "content": ""})]
    for piece in _halves(content) if content else []:
        chunks.append(chunk({"content": piece}))
    for index, (id, name, args) in enumerate(tool_calls):
        first = {
            "index": index,
            "id": id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        chunks.append(chunk({"tool_calls": [first]}))
        for piece in _halves(json.dumps(dict(args))):
            chunks.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            )
    chunks.append(chunk({}, finish_reason))
    chunks.append(
        {
            "id": "chatcmpl-2",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-4.1",
            "choices": [],
            "usage": {
                "prompt_tokens": usage[0],
                "completion_tokens": usage[1],
                "total_tokens": sum(usage),
            },
        }
    )
    if error_after is not None:
        chunks = chunks[:error_after]
        chunks.append(
            {
                "error": {
                    "message": "server overloaded",
                    "type": "server_error",
                    "code": "overloaded",
                }
            }
        )
    chunks.append("[DONE]")
    return Reply(events=[(None, item) for item in chunks])


def error(
    status: int,
    kind: str,
    text: str,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    return Reply(
        status,
        {"error": {"message": text, "type": kind, "code": code, "param": None}},
        headers=dict(headers or {}),
    )


def embeddings(vectors: list[list[float]], model: str = "text-embedding-3-small") -> Reply:
    """A ``POST /v1/embeddings`` reply (``encoding_format="float"``), items in reverse
    order so a client must sort them by ``index``."""
    data = [
        {"object": "embedding", "index": index, "embedding": vector}
        for index, vector in enumerate(vectors)
    ]
    tokens = 3 * len(vectors)
    return Reply(
        body={
            "object": "list",
            "data": data[::-1],
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )
