"""Spans and metrics reach a real OTLP/HTTP collector over a loopback socket."""

from __future__ import annotations

import pytest

from plait import ManualClock, RunOptions
from plait.engine.telemetry import OpenTelemetry, export_otlp, otlp_configured
from tests.engine.telemetry.otlp_receiver import otlp_receiver
from tests.engine.telemetry.test_otel import support_graph

SPANS = [
    "chat gpt-4.1",
    "chat gpt-4.1",
    "execute_tool lookup",
    "node both",
    "node each",
    "node each[0]/double",
    "node flaky",
    "node flaky",
    "node support",
    "run support",
]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_run_is_exported_to_the_collector_at_the_given_endpoint(backend: str) -> None:
    with otlp_receiver() as received, export_otlp(received.url) as providers:
        listener = OpenTelemetry(
            tracer_provider=providers.tracer_provider,
            meter_provider=providers.meter_provider,
        )
        result = support_graph().run_sync(
            {"question": "Where?", "xs": [4]},
            options=RunOptions(clock=ManualClock()),
            listeners=(listener,),
            backend=backend,
        )

    assert result.status.value == "succeeded"
    assert received.span_names() == SPANS
    assert {service for service, _ in received.spans} == {"plait"}
    run = next(span for _, span in received.spans if span.name == "run support")
    attributes = {item.key: item.value.string_value for item in run.attributes}
    assert attributes["plait.run.id"] == result.run_id
    assert {"plait.node.duration", "gen_ai.client.token.usage"} <= set(received.metrics)


def test_the_standard_variables_choose_the_endpoint_and_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with otlp_receiver() as received:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", received.url)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "billing-agents")
        with export_otlp() as providers:
            listener = OpenTelemetry(
                tracer_provider=providers.tracer_provider,
                meter_provider=providers.meter_provider,
            )
            support_graph().run_sync({"question": "Where?", "xs": [4]}, listeners=(listener,))

    assert received.span_names() == SPANS
    assert {service for service, _ in received.spans} == {"billing-agents"}


def test_export_is_asked_for_by_an_endpoint_unless_the_sdk_is_disabled() -> None:
    assert not otlp_configured({})
    assert otlp_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert otlp_configured(
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}
    )
    disabled = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"}
    assert not otlp_configured(disabled)
