"""The Anthropic Messages API's wire format, for the fake server."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tests.fakes.server import Reply


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(id: str, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": id, "name": name, "input": dict(arguments)}


def message(
    *blocks: Mapping[str, Any],
    stop_reason: str = "end_turn",
    usage: tuple[int, int] = (12, 7),
    model: str = "claude-sonnet-5",
) -> Reply:
    """A whole (non-streamed) reply."""
    return Reply(
        body={
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": list(blocks),
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
        }
    )


def _halves(value: str) -> list[str]:
    middle = max(1, len(value) // 2)
    return [value[:middle], value[middle:]]


def stream(
    *blocks: Mapping[str, Any],
    stop_reason: str = "end_turn",
    usage: tuple[int, int] = (12, 7),
    error_after: int | None = None,
) -> Reply:
    """A streamed reply: text and tool input arrive as two deltas each.

    ``error_after`` puts an ``overloaded_error`` event after that many events.
    """
    events: list[tuple[str | None, Mapping[str, Any] | str]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_02",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-5",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": usage[0], "output_tokens": 0},
                },
            },
        )
    ]
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            start: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": part} for part in _halves(block["text"])]
        else:
            start = {**block, "input": {}}
            raw = json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": part} for part in _halves(raw)]
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": start},
            )
        )
        for delta in deltas:
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": usage[1]},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    if error_after is not None:
        events = events[:error_after]
        events.append(
            (
                "error",
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            )
        )
    return Reply(events=events)


def error(status: int, kind: str, text: str, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(
        status,
        {"type": "error", "error": {"type": kind, "message": text}},
        headers=dict(headers or {}),
    )


def blocks_of(body: Mapping[str, Any]) -> Sequence[Any]:
    """The content blocks of every message a request sent, flattened."""
    found: list[Any] = []
    for turn in body["messages"]:
        content = turn["content"]
        found.extend(content if isinstance(content, list) else [content])
    return found
