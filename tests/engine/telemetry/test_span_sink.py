"""The listener's two ways to the exporter: finished ``ReadableSpan``s handed to the SDK's
processors, and the API's ``start_span`` for any other tracer; the same trace either way,
the sampler's decision kept per run, and a run nested in the application's current span."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, TraceIdRatioBased
from opentelemetry.util.types import Attributes

from plait import ManualClock, RunOptions
from plait.engine.telemetry import OpenTelemetry
from tests.engine.telemetry.test_otel import support_graph

pytestmark = pytest.mark.anyio

INPUTS = {"question": "Where is order 7?", "xs": [1, 2]}


class ApiTracer(trace.NoOpTracer):
    """A tracer that is not the SDK's (it forwards to one): the listener uses the API."""

    def __init__(self, inner: trace.Tracer) -> None:
        self.inner = inner

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: trace.SpanKind = trace.SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[trace.Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace.Span:
        return self.inner.start_span(
            name, context, kind, attributes, links, start_time, record_exception
        )


class ApiProvider(trace.TracerProvider):
    def __init__(self, inner: TracerProvider) -> None:
        self.inner = inner

    def get_tracer(self, *args: object, **kwargs: object) -> trace.Tracer:
        return ApiTracer(self.inner.get_tracer("plait"))


def provider_into(exporter: InMemorySpanExporter, **options: object) -> TracerProvider:
    provider = TracerProvider(**options)  # type: ignore[arg-type]
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def shape(spans: Sequence[ReadableSpan]) -> list[tuple[object, ...]]:
    """Each span's name, parent's name, attributes (ids aside), events and status (not
    times: the map's items may end before or after the retry's sleep)."""
    names = {span.context.span_id: span.name for span in spans}
    return sorted(
        (
            span.name,
            names.get(span.parent.span_id) if span.parent else None,
            sorted((k, str(v)) for k, v in (span.attributes or {}).items() if k != "plait.run.id"),
            [event.name for event in span.events],
            span.status.status_code.name,
        )
        for span in spans
    )


async def test_the_sdk_path_and_the_api_path_make_the_same_trace() -> None:
    fast, slow = InMemorySpanExporter(), InMemorySpanExporter()
    sdk = OpenTelemetry(tracer_provider=provider_into(fast))
    api = OpenTelemetry(tracer_provider=ApiProvider(provider_into(slow)))
    assert type(sdk.sink).__name__ == "ReadableSpanSink"
    assert type(api.sink).__name__ == "SpanSink"

    for listener in (sdk, api):
        options = RunOptions(clock=ManualClock())
        result = await support_graph().run(INPUTS, options=options, listeners=(listener,))
        assert result.error is None

    made = fast.get_finished_spans()
    assert len(made) == 11
    assert shape(made) == shape(slow.get_finished_spans())
    assert all(span.resource is made[0].resource for span in made)
    assert {span.instrumentation_scope.name for span in made if span.instrumentation_scope} == {
        "plait"
    }


async def test_the_sampler_decides_once_per_run() -> None:
    dropped = InMemorySpanExporter()
    listener = OpenTelemetry(tracer_provider=provider_into(dropped, sampler=ALWAYS_OFF))
    await support_graph().run(
        INPUTS, options=RunOptions(clock=ManualClock()), listeners=(listener,)
    )
    assert dropped.get_finished_spans() == ()

    halves = InMemorySpanExporter()
    listener = OpenTelemetry(tracer_provider=provider_into(halves, sampler=TraceIdRatioBased(0.5)))
    for _ in range(16):
        await support_graph().run(
            INPUTS, options=RunOptions(clock=ManualClock()), listeners=(listener,)
        )
    runs: dict[int, int] = {}
    for span in halves.get_finished_spans():
        runs[span.context.trace_id] = runs.get(span.context.trace_id, 0) + 1
    assert 0 < len(runs) < 16  # some runs kept, some dropped ...
    assert set(runs.values()) == {11}  # ... each whole


async def test_a_run_nests_in_the_application_s_current_span() -> None:
    exporter = InMemorySpanExporter()
    provider = provider_into(exporter)
    listener = OpenTelemetry(tracer_provider=provider)
    with provider.get_tracer("app").start_as_current_span("request") as outer:
        await support_graph().run(
            INPUTS, options=RunOptions(clock=ManualClock()), listeners=(listener,)
        )
    spans = exporter.get_finished_spans()
    run = next(span for span in spans if span.name == "run support")
    assert run.parent is not None
    assert run.parent.span_id == outer.get_span_context().span_id
    assert {span.context.trace_id for span in spans} == {outer.get_span_context().trace_id}
