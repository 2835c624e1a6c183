"""OpenAI's wire formats, Responses and Chat Completions: requests out, replies back.

Works on plain JSON data (the SDK's ``model_dump``), so it imports no SDK.
"""

from __future__ import annotations

import json
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

__all__ = [
    "arguments_from_json",
    "chat_params",
    "chat_response",
    "responses_params",
    "responses_response",
]


def arguments_from_json(text: str) -> dict[str, object]:
    """A tool call's arguments; text that is not a JSON object is kept for the tool's
    validation to reject (so the model hears about it)."""
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return {"_unparsed_arguments": text}
    return value if isinstance(value, dict) else {"_unparsed_arguments": text}


def _image_url(part: Image) -> str:
    return part.url or f"data:{part.media_type};base64,{part.data}"


def _common(request: ModelRequest, options: Mapping[str, str]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for key in ("temperature", "top_p"):
        if key in options:
            extra[key] = float(options[key])
    return extra


def _plain(content: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """One text part as a plain string (the API's short form, which the SDK converts far
    faster than a list of typed parts); anything else as the parts."""
    if len(content) == 1 and content[0]["type"] in ("input_text", "output_text"):
        text: str = content[0]["text"]
        return text
    return content


def responses_params(
    request: ModelRequest, *, model: str, options: Mapping[str, str], max_tokens: int | None
) -> dict[str, Any]:
    """Keyword arguments for ``responses.create``/``responses.stream`` (stateless)."""
    items: list[dict[str, Any]] = []
    for message in request.messages:
        role = "developer" if message.role == "system" else message.role
        content: list[dict[str, Any]] = []
        for part in message.parts:
            if isinstance(part, Text) and part.text:
                kind = "output_text" if role == "assistant" else "input_text"
                content.append({"type": kind, "text": part.text})
            elif isinstance(part, Image):
                content.append({"type": "input_image", "image_url": _image_url(part)})
            elif isinstance(part, ToolCall):
                if content:
                    items.append({"role": role, "content": _plain(content)})
                    content = []
                items.append(
                    {
                        "type": "function_call",
                        "call_id": part.id,
                        "name": part.name,
                        "arguments": json.dumps(dict(part.arguments)),
                    }
                )
            elif isinstance(part, ToolResult):
                items.append(
                    {
                        "type": "function_call_output",
                        "call_id": part.call_id,
                        "output": part.content,
                    }
                )
        if content:
            items.append({"role": role, "content": _plain(content)})
    params: dict[str, Any] = {"model": model, "input": items, "store": False}
    if request.system:
        params["instructions"] = request.system
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "name": t.name,
                "description": t.description,
                "parameters": dict(t.parameters),
                "strict": False,
            }
            for t in request.tools
        ]
        params["tool_choice"] = _choice(request.tool_choice, nested=False)
        params["parallel_tool_calls"] = request.parallel_tool_calls
    reasoning = request.reasoning or options.get("reasoning")
    if reasoning is not None and not reasoning.isdigit() and reasoning != "auto":
        params["reasoning"] = {"effort": reasoning}
    limit = request.max_tokens or (
        int(options["max_tokens"]) if "max_tokens" in options else max_tokens
    )
    if limit:
        params["max_output_tokens"] = limit
    if request.output is not None:
        params["text"] = {
            "format": {
                "type": "json_schema",
                "name": request.output.name,
                "schema": dict(request.output.schema),
                "strict": False,
            }
        }
    params.update(_common(request, options))
    return params


def _choice(choice: str, *, nested: bool) -> object:
    if choice in ("auto", "none"):
        return choice
    if choice == "any":
        return "required"
    if nested:
        return {"type": "function", "function": {"name": choice}}
    return {"type": "function", "name": choice}


def responses_response(data: Mapping[str, Any], *, name: str) -> ModelResponse:
    """A plait response from a Responses API ``Response`` as JSON data."""
    parts: list[Part] = []
    for item in data.get("output") or []:
        kind = item.get("type")
        if kind == "message":
            for block in item.get("content") or []:
                if block.get("type") == "output_text":
                    parts.append(Text(block.get("text", "")))
                elif block.get("type") == "refusal":
                    parts.append(Text(block.get("refusal", "")))
        elif kind == "function_call":
            arguments = arguments_from_json(item.get("arguments") or "")
            parts.append(ToolCall(item["call_id"], item["name"], arguments))
        elif kind == "reasoning":
            summary = " ".join(s.get("text", "") for s in item.get("summary") or [])
            if summary:
                parts.append(Thinking(summary))
    stop = StopReason.END_TURN
    if any(isinstance(part, ToolCall) for part in parts):
        stop = StopReason.TOOL_USE
    elif data.get("status") == "incomplete":
        reason = (data.get("incomplete_details") or {}).get("reason")
        stop = StopReason.SAFETY if reason == "content_filter" else StopReason.MAX_TOKENS
    usage = data.get("usage") or {}
    return ModelResponse(
        Message("assistant", tuple(parts), stop),
        Usage(
            input_tokens=int(usage.get("input_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            cache_read_tokens=int(
                (usage.get("input_tokens_details") or {}).get("cached_tokens") or 0
            ),
            reasoning_tokens=int(
                (usage.get("output_tokens_details") or {}).get("reasoning_tokens") or 0
            ),
            requests=1,
        ),
        name,
    )


def chat_params(
    request: ModelRequest,
    *,
    model: str,
    options: Mapping[str, str],
    max_tokens: int | None,
    limit_key: str,
) -> dict[str, Any]:
    """Keyword arguments for ``chat.completions.create`` (``limit_key`` names the output
    limit: ``max_completion_tokens`` for OpenAI, ``max_tokens`` for compatible servers)."""
    messages: list[dict[str, Any]] = []
    if request.system:
        messages.append({"role": "system", "content": request.system})
    for message in request.messages:
        texts = [p.text for p in message.parts if isinstance(p, Text) and p.text]
        images = [p for p in message.parts if isinstance(p, Image)]
        for result in message.tool_results:
            messages.append(
                {"role": "tool", "tool_call_id": result.call_id, "content": result.content}
            )
        if message.role == "assistant":
            turn: dict[str, Any] = {"role": "assistant", "content": "\n".join(texts) or None}
            if message.tool_calls:
                turn["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {
                            "name": call.name,
                            "arguments": json.dumps(dict(call.arguments)),
                        },
                    }
                    for call in message.tool_calls
                ]
            if turn["content"] is not None or message.tool_calls:
                messages.append(turn)
        elif images:
            content: list[dict[str, Any]] = [{"type": "text", "text": text} for text in texts]
            content += [{"type": "image_url", "image_url": {"url": _image_url(i)}} for i in images]
            messages.append({"role": message.role, "content": content})
        elif texts:
            messages.append({"role": message.role, "content": "\n".join(texts)})
    params: dict[str, Any] = {"model": model, "messages": messages}
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": dict(t.parameters),
                },
            }
            for t in request.tools
        ]
        params["tool_choice"] = _choice(request.tool_choice, nested=True)
        params["parallel_tool_calls"] = request.parallel_tool_calls
    reasoning = request.reasoning or options.get("reasoning")
    if reasoning is not None and not reasoning.isdigit() and reasoning != "auto":
        params["reasoning_effort"] = reasoning
    limit = request.max_tokens or (
        int(options["max_tokens"]) if "max_tokens" in options else max_tokens
    )
    if limit:
        params[limit_key] = limit
    if request.output is not None:
        params["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": request.output.name, "schema": dict(request.output.schema)},
        }
    params.update(_common(request, options))
    return params


_FINISH = {
    "stop": StopReason.END_TURN,
    "tool_calls": StopReason.TOOL_USE,
    "function_call": StopReason.TOOL_USE,
    "length": StopReason.MAX_TOKENS,
    "content_filter": StopReason.SAFETY,
}


def chat_response(data: Mapping[str, Any], *, name: str) -> ModelResponse:
    """A plait response from a ``ChatCompletion`` as JSON data."""
    choices = data.get("choices") or [{}]
    message = choices[0].get("message") or {}
    parts: list[Part] = []
    if message.get("content"):
        parts.append(Text(message["content"]))
    if message.get("refusal"):
        parts.append(Text(message["refusal"]))
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        arguments = arguments_from_json(function.get("arguments") or "")
        parts.append(ToolCall(call["id"], function.get("name", ""), arguments))
    stop = _FINISH.get(str(choices[0].get("finish_reason")), StopReason.END_TURN)
    if stop is StopReason.END_TURN and any(isinstance(p, ToolCall) for p in parts):
        stop = StopReason.TOOL_USE
    return ModelResponse(
        Message("assistant", tuple(parts), stop), chat_usage(data.get("usage")), name
    )


def chat_usage(usage: Mapping[str, Any] | None) -> Usage:
    """Token counts of a Chat Completions ``usage`` object."""
    if not usage:
        return Usage(requests=1)
    return Usage(
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        cache_read_tokens=int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0),
        reasoning_tokens=int(
            (usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
        ),
        requests=1,
    )
