"""What the OpenTelemetry listener keeps per run, and the GenAI attributes of an LLM call."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from plait.nodes import to_jsonable

if TYPE_CHECKING:
    from plait.engine.telemetry._sink import Attributes, OpenSpan

__all__ = ["Attempt", "RunSpans", "json_text", "llm_call_attributes"]

_USAGE_ATTRIBUTES = (
    ("gen_ai.usage.input_tokens", "input_tokens"),
    ("gen_ai.usage.output_tokens", "output_tokens"),
    ("gen_ai.usage.cache_read.input_tokens", "cache_read_tokens"),
    ("gen_ai.usage.cache_creation.input_tokens", "cache_write_tokens"),
    ("gen_ai.usage.reasoning.output_tokens", "reasoning_tokens"),
)
_ALWAYS = ("input_tokens", "output_tokens")


@dataclass(slots=True)
class Attempt:
    """A node attempt's open span."""

    span: OpenSpan
    began: float
    mark: float
    """When the agent last did something: where its next LLM call's span begins."""
    tokens: list[str] = field(default_factory=list)
    """Streamed text since the last LLM call ended (kept only when content is recorded)."""


@dataclass(slots=True)
class RunSpans:
    """A running run's span and the spans open inside it."""

    span: OpenSpan
    graph: str
    offset: int
    """Wall-clock nanoseconds minus run-clock nanoseconds."""
    attempts: dict[str, Attempt] = field(default_factory=dict)
    tools: dict[tuple[str, str], tuple[OpenSpan, float]] = field(default_factory=dict)


def llm_call_attributes(
    data: Mapping[str, object],
) -> tuple[dict[str, str], Attributes]:
    """From an agent's ``usage`` report: the call's identity (``gen_ai.system``,
    ``gen_ai.request.model``, ...), and those with its token usage and cost."""
    model = str(data.get("model", ""))
    provider, dot, name = model.partition(".")
    system = provider if dot else model
    call = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": system,
        "gen_ai.provider.name": system,
        "gen_ai.request.model": name or model,
    }
    attributes: Attributes = dict(call)
    for key, field_name in _USAGE_ATTRIBUTES:
        value = data.get(field_name)
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (value or field_name in _ALWAYS)
        ):
            attributes[key] = value
    cost = data.get("cost")
    if isinstance(cost, int | float) and not isinstance(cost, bool):
        attributes["plait.llm.cost_usd"] = float(cost)
    return call, attributes


def json_text(value: object) -> str:
    """A value as JSON text for an attribute (its ``repr`` when it has no JSON form)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(to_jsonable(value), ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)
