"""Telemetry: a run's events as OpenTelemetry spans and metrics, and as structured logs.

    from plait.engine.telemetry import OpenTelemetry
    result = await run(graph, inputs, listeners=(OpenTelemetry(),))

OpenTelemetry is an optional extra (``pip install 'plait[otel]'``), imported only when a
listener or exporter is made.
"""

from plait.engine.telemetry._logs import EVENT_NAMES, LOGGER, JsonLogFormatter, StructuredLogs
from plait.engine.telemetry._otel import CONTENT_VARIABLE, OpenTelemetry
from plait.engine.telemetry._otlp import OtlpProviders, export_otlp, otlp_configured

__all__ = [
    "CONTENT_VARIABLE",
    "EVENT_NAMES",
    "LOGGER",
    "JsonLogFormatter",
    "OpenTelemetry",
    "OtlpProviders",
    "StructuredLogs",
    "export_otlp",
    "otlp_configured",
]
