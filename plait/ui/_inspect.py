"""The node inspector's facts: one node's inputs, output, attempts, errors and calls.

Values are returned as text (pretty JSON where they are JSON); the templates escape them.
A node's inputs are not stored as such: they are read back from the stored graph
description's edges (``source[.field] -> node.parameter``) and the run's outputs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plait.ui._data import Usage, call_usage

if TYPE_CHECKING:
    from plait.engine import JournalRecord, StoredRun

__all__ = ["Call", "Message", "NodeFacts", "node_facts"]


@dataclass(frozen=True, slots=True)
class Message:
    """One message of an LLM call, as text."""

    role: str
    text: str


@dataclass(frozen=True, slots=True)
class Call:
    """One journaled call: an LLM request and reply, or a tool call and its result."""

    index: int
    kind: str
    name: str
    """The model (LLM call) or the tool's name."""
    messages: Sequence[Message]
    request: str
    response: str
    usage: Usage | None


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What the inspector shows of one node."""

    node: str
    status: str
    inputs: Sequence[tuple[str, str]]
    output: str | None
    attempts: int
    errors: Sequence[tuple[int, str, str]]
    """(attempt, error type, message), oldest first."""
    question: str | None
    answer: str | None
    calls: Sequence[Call]


def pretty(data: bytes | str) -> str:
    """JSON text indented, or the text as it is when it is not JSON."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _field(value: object, path: str) -> object:
    for name in [part for part in path.split(".") if part]:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _inputs(stored: StoredRun, node: str) -> list[tuple[str, str]]:
    try:
        described = json.loads(stored.run.canonical)
        run_inputs = json.loads(stored.run.inputs)
    except ValueError:
        return []
    edges = described.get("edges", []) if isinstance(described, dict) else []
    found: list[tuple[str, str]] = []
    for edge in edges if isinstance(edges, list) else []:
        source, _, target = str(edge).partition(" -> ")
        owner, _, parameter = target.partition(".")
        if owner != node:
            continue
        origin, _, path = source.partition(".")
        if origin == "inputs":
            found.append((parameter, pretty(json.dumps(_field(run_inputs, path)))))
        elif origin in stored.outputs:
            value = json.loads(stored.outputs[origin].data)
            found.append((parameter, pretty(json.dumps(_field(value, path)))))
        else:
            found.append((parameter, f"(not yet: from {source})"))
    return found


def _message_text(data: object) -> Message:
    if not isinstance(data, dict):
        return Message("?", pretty(json.dumps(data)))
    parts = data.get("content", [])
    texts: list[str] = []
    for part in parts if isinstance(parts, list) else [parts]:
        if isinstance(part, dict) and part.get("type") == "text":
            texts.append(str(part.get("text", "")))
        else:
            texts.append(json.dumps(part, ensure_ascii=False))
    return Message(str(data.get("role", "?")), "\n".join(texts))


def _call(record: JournalRecord) -> Call:
    try:
        request = json.loads(record.request)
        response = json.loads(record.response)
    except ValueError:
        request, response = {}, {}
    request = request if isinstance(request, dict) else {}
    response = response if isinstance(response, dict) else {}
    if record.kind == "llm":
        messages = [_message_text(item) for item in request.get("messages", []) or []]
        if isinstance(request.get("system"), str) and request["system"]:
            messages.insert(0, Message("system", request["system"]))
        if "message" in response:
            messages.append(_message_text(response["message"]))
        name = str(response.get("model") or request.get("model_name") or "model")
    else:
        messages = []
        name = str(request.get("name", "tool"))
    return Call(
        record.index,
        record.kind,
        name,
        messages,
        pretty(record.request),
        pretty(record.response),
        call_usage(record),
    )


def node_facts(stored: StoredRun, node: str, statuses: Mapping[str, str]) -> NodeFacts:
    """The inspector's facts about ``node`` of ``stored``."""
    output = stored.outputs.get(node)
    failures = [item for item in stored.failures if item.node == node]
    errors = [(item.attempt, item.error_type, item.message) for item in failures]
    attempts = max([output.attempt if output else 0, *(item.attempt for item in failures)])
    asked = [item for item in stored.interrupts if item.node == node]
    question = asked[-1].question if asked else None
    answer = asked[-1].answer if asked else None
    calls = [
        _call(record)
        for record in stored.journal
        if record.node == node or record.node.startswith(node + "/")
    ]
    return NodeFacts(
        node,
        statuses.get(node, "pending"),
        _inputs(stored, node),
        None if output is None else pretty(output.data),
        attempts,
        errors,
        question,
        None if answer is None else pretty(answer),
        calls,
    )
