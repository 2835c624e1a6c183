"""An error whose message holds a key from the settings reaches spans and logs masked,
though the listeners were given no secrets: the run's own secrets travel with the event."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from plait import GraphBuilder, RetryPolicy, node, run
from plait.engine import Event, NodeFailed, NodeRetrying, RunFinished
from plait.engine.telemetry import JsonLogFormatter, OpenTelemetry, StructuredLogs
from plait.graphs import Graph
from plait.nodes import ModelCatalog, PlaitConfig, ProviderConfig, Secret, agent

pytestmark = pytest.mark.anyio

KEY = "sk-ant-settings-5f4dcc3b5aa765d61d8327deb882cf99"


def leaking_graph() -> Graph[object]:
    """A node that fails twice with the key in its message, before an agent on that key."""
    settings = PlaitConfig(providers={"anthropic": ProviderConfig(api_key=Secret(KEY))})
    models = ModelCatalog(settings)

    @node
    async def fetch(question: str) -> str:
        raise PermissionError(f"upstream refused key {KEY} for {question!r}")

    b = GraphBuilder("leaky", inputs={"question": str})
    twice = RetryPolicy(max_attempts=2, initial_delay=0, jitter=0, retry_on=(PermissionError,))
    fetched = b.add(fetch, retry=twice, inputs={"question": "inputs.question"})
    ask = agent("ask", model="anthropic.claude-haiku-4-5", models=models)
    return b.build(b.add(ask, inputs={"message": fetched}))


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(JsonLogFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_the_run_s_secrets_mask_errors_on_spans_and_in_logs() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    logger = logging.getLogger("plait.test.error_secrets")
    logger.setLevel(logging.DEBUG)
    records = Records()
    logger.addHandler(records)
    seen: list[Event] = []
    try:
        result = await run(
            leaking_graph(),
            {"question": "status?"},
            listeners=(
                OpenTelemetry(tracer_provider=provider),
                StructuredLogs(logger),
                seen.append,
            ),
        )
    finally:
        logger.removeHandler(records)

    assert result.status.value == "failed"
    assert KEY in str(result.error)  # the caller's own error object is left as it was
    with_errors = [e for e in seen if isinstance(e, NodeRetrying | NodeFailed | RunFinished)]
    assert [type(event).__name__ for event in with_errors] == [
        "NodeRetrying",
        "NodeFailed",
        "RunFinished",
    ]
    assert all(KEY in event.secrets.reveal() for event in with_errors)

    finished = spans.get_finished_spans()
    texts = [str(span.status.description) for span in finished]
    texts += [str(event.attributes) for span in finished for event in span.events]
    assert any("upstream refused key" in text for text in texts)
    assert not [text for text in texts if KEY in text]
    assert any("upstream refused key" in line for line in records.lines)
    assert len(records.lines) >= 5
    assert not [line for line in records.lines if KEY in line]
