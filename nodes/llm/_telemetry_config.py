"""The ``telemetry`` section of ``plait.yaml``: what runs record in their spans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["TelemetryConfig", "telemetry_config"]

_TRUTH = {True: True, False: False, "true": True, "false": False}


@dataclass(frozen=True, slots=True)
class TelemetryConfig:
    """``telemetry: {content: true}`` records prompts and completions in spans."""

    content: bool | None = None
    """``None``: not configured (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    then decides, as it does for the GenAI instrumentations)."""


def telemetry_config(value: object, problems: list[str]) -> TelemetryConfig:
    """The section ``value`` (``None`` when absent), adding what is wrong to ``problems``."""
    if value is None:
        return TelemetryConfig()
    if not isinstance(value, Mapping):
        problems.append("$.telemetry: expected a mapping of settings, e.g. {content: true}")
        return TelemetryConfig()
    unknown = [str(key) for key in value if key != "content"]
    if unknown:
        problems.append(f"$.telemetry: unknown key `{unknown[0]}`; known keys: content")
    content = value.get("content")
    if content is None:
        return TelemetryConfig()
    found = _TRUTH.get(content.lower() if isinstance(content, str) else content)
    if found is None:
        problems.append(f"$.telemetry.content: expected true or false, got {content!r}")
    return TelemetryConfig(content=found)
