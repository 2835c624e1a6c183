"""Sending spans and metrics to an OTLP collector (HTTP/protobuf), as the SDKs configure it.

The exporters read the standard variables themselves: ``OTEL_EXPORTER_OTLP_ENDPOINT``
(``/v1/traces`` and ``/v1/metrics`` appended), the per-signal
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, ``OTEL_EXPORTER_OTLP_HEADERS``,
``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``. An ``endpoint`` given here wins
over them. The SDK and the exporter are imported on use; without them that raises an
``ImportError`` naming the ``otel`` extra.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

__all__ = ["ENDPOINT_VARIABLES", "OtlpProviders", "export_otlp", "otlp_configured"]

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
"""Setting either asks for export, as it does for an application using the SDK."""
_EXTRA = "sending spans over OTLP needs its extra: pip install 'plait[otel]'"


def otlp_configured(environ: Mapping[str, str]) -> bool:
    """Whether ``environ`` asks for OTLP export (and the SDK is not disabled)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES)


@dataclass(frozen=True, slots=True)
class OtlpProviders:
    """The tracer and meter providers that export over OTLP; pass them to ``OpenTelemetry``."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider


@contextmanager
def export_otlp(
    endpoint: str | None = None, *, service: str | None = None
) -> Iterator[OtlpProviders]:
    """Providers that batch spans and metrics to the OTLP/HTTP collector at ``endpoint``
    (the standard variables' when ``None``); leaving the block flushes and shuts them down.

    The service is named ``service``, else by ``OTEL_SERVICE_NAME`` (or
    ``OTEL_RESOURCE_ATTRIBUTES``), else ``plait``.

    Raises:
        ImportError: when the SDK or the OTLP exporter is not installed.
    """
    try:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as error:
        raise ImportError(_EXTRA) from error

    base = endpoint.rstrip("/") if endpoint else None
    spans = OTLPSpanExporter(endpoint=f"{base}/v1/traces" if base else None)
    points = OTLPMetricExporter(endpoint=f"{base}/v1/metrics" if base else None)
    resource = Resource.create({"service.name": service} if service else {})
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": "plait"}))
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(spans))
    reader = PeriodicExportingMetricReader(points, export_interval_millis=60_000)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    try:
        yield OtlpProviders(tracer_provider, meter_provider)
    finally:
        tracer_provider.shutdown()
        meter_provider.shutdown()
