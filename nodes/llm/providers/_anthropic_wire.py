"""The Anthropic Messages API's wire format: plait requests to parameters, replies back.

Works on plain JSON data (the SDK's ``model_dump``), so it imports no SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plait.nodes.llm._messages import (
    Image,
    Message,
    Part,
    StopReason,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
    Usage,
)
from plait.nodes.llm._model import ModelRequest, ModelResponse

__all__ = ["anthropic_params", "anthropic_response"]

_STOPS = {
    "end_turn": StopReason.END_TURN,
    "tool_use": StopReason.TOOL_USE,
    "max_tokens": StopReason.MAX_TOKENS,
    "model_context_window_exceeded": StopReason.MAX_TOKENS,
    "stop_sequence": StopReason.STOP_SEQUENCE,
    "pause_turn": StopReason.PAUSE,
    "refusal": StopReason.SAFETY,
}


def anthropic_params(
    request: ModelRequest,
    *,
    model: str,
    max_tokens: int,
    options: Mapping[str, str],
) -> dict[str, Any]:
    """Keyword arguments for ``messages.create``/``messages.stream``."""
    system = [request.system] if request.system else []
    turns: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "system":
            system.append(message.text)
            continue
        blocks = [block for part in message.parts if (block := _block(part)) is not None]
        if not blocks:
            continue
        if turns and turns[-1]["role"] == message.role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": message.role, "content": blocks})
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens or int(options.get("max_tokens") or max_tokens),
        "messages": turns,
    }
    if system:
        params["system"] = "\n\n".join(system)
    if request.tools:
        params["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": dict(t.parameters)}
            for t in request.tools
        ]
        params["tool_choice"] = _tool_choice(request)
    output_config: dict[str, Any] = {}
    reasoning = request.reasoning or options.get("reasoning")
    if reasoning == "none":
        params["thinking"] = {"type": "disabled"}
    elif reasoning is not None and reasoning.isdigit():
        params["thinking"] = {"type": "enabled", "budget_tokens": int(reasoning)}
    elif reasoning is not None:
        params["thinking"] = {"type": "adaptive"}
        if reasoning != "auto":
            output_config["effort"] = reasoning
    if request.output is not None:
        output_config["format"] = {"type": "json_schema", "schema": dict(request.output.schema)}
    if output_config:
        params["output_config"] = output_config
    # The current SDK dropped sampling knobs from its signature; backends still accept them.
    extra = {key: float(options[key]) for key in ("temperature", "top_p") if key in options}
    if extra:
        params["extra_body"] = extra
    return params


def _tool_choice(request: ModelRequest) -> dict[str, Any]:
    choice = request.tool_choice
    if choice in ("auto", "any", "none"):
        found: dict[str, Any] = {"type": choice}
    else:
        found = {"type": "tool", "name": choice}
    if choice != "none" and not request.parallel_tool_calls:
        found["disable_parallel_tool_use"] = True
    return found


def _block(part: Part) -> dict[str, Any] | None:
    if isinstance(part, Text):
        return {"type": "text", "text": part.text} if part.text else None
    if isinstance(part, Image):
        if part.url:
            return {"type": "image", "source": {"type": "url", "url": part.url}}
        source = {"type": "base64", "media_type": part.media_type, "data": part.data}
        return {"type": "image", "source": source}
    if isinstance(part, ToolCall):
        return {"type": "tool_use", "id": part.id, "name": part.name, "input": dict(part.arguments)}
    if isinstance(part, ToolResult):
        return {
            "type": "tool_result",
            "tool_use_id": part.call_id,
            "content": part.content,
            "is_error": part.is_error,
        }
    if part.signature:
        return {"type": "thinking", "thinking": part.text, "signature": part.signature}
    return None  # unsigned thinking cannot be sent back


def anthropic_response(data: Mapping[str, Any], *, name: str) -> ModelResponse:
    """A plait response from a ``Message`` as JSON data."""
    parts: list[Part] = []
    for block in data.get("content") or []:
        kind = block.get("type")
        if kind == "text":
            parts.append(Text(block.get("text", "")))
        elif kind == "tool_use":
            parts.append(ToolCall(block["id"], block["name"], dict(block.get("input") or {})))
        elif kind == "thinking":
            parts.append(Thinking(block.get("thinking", ""), block.get("signature", "")))
    stop = _STOPS.get(str(data.get("stop_reason")), StopReason.END_TURN)
    usage = data.get("usage") or {}
    read = int(usage.get("cache_read_input_tokens") or 0)
    written = int(usage.get("cache_creation_input_tokens") or 0)
    return ModelResponse(
        Message("assistant", tuple(parts), stop),
        Usage(
            # Anthropic counts cached tokens apart from `input_tokens`; plait's `Usage`
            # counts them in (as OpenAI does), so one price table fits both.
            input_tokens=int(usage.get("input_tokens") or 0) + read + written,
            output_tokens=int(usage.get("output_tokens") or 0),
            cache_read_tokens=read,
            cache_write_tokens=written,
            requests=1,
        ),
        name,
    )
