"""Run metrics: node counts and durations, runs, tokens and cost per model."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader

from plait import ManualClock, RunOptions
from plait.engine.telemetry import OpenTelemetry
from tests.engine.telemetry.test_otel import support_graph

pytestmark = pytest.mark.anyio


def points(reader: InMemoryMetricReader) -> dict[str, list[tuple[dict[str, object], object]]]:
    """metric name -> (attributes, value or histogram count and sum) of every point."""
    data = reader.get_metrics_data()
    assert data is not None
    found: dict[str, list[tuple[dict[str, object], object]]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    value: object
                    if isinstance(point, HistogramDataPoint):
                        value = (point.count, point.sum)
                    else:
                        value = getattr(point, "value", None)
                    found.setdefault(metric.name, []).append((dict(point.attributes or {}), value))
    return found


async def test_nodes_runs_tokens_and_cost_are_counted() -> None:
    reader = InMemoryMetricReader()
    listener = OpenTelemetry(meter_provider=MeterProvider(metric_readers=[reader]))

    for _ in range(2):
        await support_graph().run(
            {"question": "Where?", "xs": [1, 2, 3]},
            options=RunOptions(clock=ManualClock()),
            listeners=(listener,),
        )

    found = points(reader)
    attempts = {  # a duration histogram's count is the number of attempts
        (str(attributes["plait.node"]), str(attributes["plait.node.status"])): value[0]
        for attributes, value in found["plait.node.duration"]
        if isinstance(value, tuple)
    }
    assert attempts == {
        ("support", "succeeded"): 2,
        ("flaky", "retried"): 2,
        ("flaky", "succeeded"): 2,
        ("each", "succeeded"): 2,
        ("each/double", "succeeded"): 6,  # one series for every item of the map
        ("both", "succeeded"): 2,
    }
    durations = {
        str(attributes["plait.node"]): value
        for attributes, value in found["plait.node.duration"]
        if attributes["plait.node.status"] == "retried"
    }
    assert durations == {"flaky": (2, 0.0)}  # two attempts, on a clock that never moved
    assert found["plait.runs"] == [({"plait.graph": "support", "plait.run.status": "succeeded"}, 2)]
    tokens = {
        str(attributes["gen_ai.token.type"]): value
        for attributes, value in found["gen_ai.client.token.usage"]
    }
    assert tokens == {"input": (4, 40), "output": (4, 20)}  # 2 runs x 2 calls x (10 in, 5 out)
    ((model, cost),) = found["plait.llm.cost"]
    assert model["gen_ai.request.model"] == "gpt-4.1"
    assert model["gen_ai.system"] == "openai"
    assert cost == pytest.approx(4 * 60 / 1_000_000)
