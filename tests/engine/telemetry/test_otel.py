"""Runs as OpenTelemetry spans: the tree, the GenAI attributes, retries, errors, content."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from plait import GraphBuilder, ManualClock, RetryPolicy, RunOptions, node
from plait.engine.telemetry import OpenTelemetry
from plait.graphs import Graph
from plait.nodes import Message, ModelCatalog, ScriptedModel, Secrets, ToolCall, agent, tool

pytestmark = pytest.mark.anyio

KEY = "sk-FAKE-otel-0123456789abcdef"


@tool
def lookup(order: int) -> str:
    """Find an order's status."""
    return f"order {order}: shipped"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    found = InMemorySpanExporter()
    yield found
    found.clear()


def telemetry(exporter: InMemorySpanExporter, **options: object) -> OpenTelemetry:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OpenTelemetry(tracer_provider=provider, **options)  # type: ignore[arg-type]


def support_graph() -> Graph[object]:
    model = ScriptedModel(
        [Message.assistant(ToolCall("call_1", "lookup", {"order": 7})), "Order 7 shipped."],
        name="openai.gpt-4.1",
    )
    support = agent(
        "support", model=model, inputs={"question": str}, tools=[lookup], models=ModelCatalog()
    )
    calls = {"n": 0}

    @node
    async def flaky(answer: str) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("reset once")
        return answer.upper()

    @node
    async def double(x: int) -> int:
        return 2 * x

    b = GraphBuilder("support", inputs={"question": str, "xs": list[int]})
    answer = b.add(support, inputs={"question": "inputs.question"})
    once_more = RetryPolicy(max_attempts=2, initial_delay=0.5, jitter=0)
    shout = b.add(flaky, retry=once_more, inputs={"answer": answer})
    each = b.map(double, id="each", over="x", inputs={"x": "inputs.xs"})

    @node
    async def both(text: str, numbers: list[int]) -> str:
        return f"{text} {numbers}"

    return b.build(b.add(both, inputs={"text": shout, "numbers": each}))


def by_name(spans: Sequence[ReadableSpan]) -> dict[str, list[ReadableSpan]]:
    found: dict[str, list[ReadableSpan]] = {}
    for span in spans:
        found.setdefault(span.name, []).append(span)
    return found


def parent_name(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> str | None:
    if span.parent is None:
        return None
    return next(s.name for s in spans if s.context.span_id == span.parent.span_id)


async def test_a_run_is_a_span_tree_with_genai_attributes(exporter: InMemorySpanExporter) -> None:
    listener = telemetry(exporter)
    graph = support_graph()

    result = await graph.run(
        {"question": "Where is order 7?", "xs": [1, 2]},
        options=RunOptions(clock=ManualClock()),
        listeners=(listener,),
    )

    assert result.output == "ORDER 7 SHIPPED. [2, 4]"
    spans = exporter.get_finished_spans()
    named = by_name(spans)
    tree = sorted((span.name, parent_name(span, spans)) for span in spans)
    assert tree == sorted(
        [
            ("run support", None),
            ("node support", "run support"),
            ("chat gpt-4.1", "node support"),
            ("execute_tool lookup", "node support"),
            ("chat gpt-4.1", "node support"),
            ("node flaky", "run support"),
            ("node flaky", "run support"),
            ("node each", "run support"),
            ("node each[0]/double", "node each"),
            ("node each[1]/double", "node each"),
            ("node both", "run support"),
        ]
    )
    assert len({span.context.trace_id for span in spans}) == 1
    run = named["run support"][0]
    assert run.attributes is not None
    assert run.attributes["plait.run.id"] == result.run_id
    assert run.attributes["plait.run.status"] == "succeeded"
    assert run.status.status_code is StatusCode.OK
    chat = named["chat gpt-4.1"][0]
    assert chat.attributes is not None
    assert chat.attributes["gen_ai.operation.name"] == "chat"
    assert chat.attributes["gen_ai.system"] == "openai"
    assert chat.attributes["gen_ai.request.model"] == "gpt-4.1"
    assert chat.attributes["gen_ai.usage.input_tokens"] == 10
    assert chat.attributes["gen_ai.usage.output_tokens"] == 5
    assert chat.attributes["plait.llm.cost_usd"] == pytest.approx(60 / 1_000_000)
    tool_span = named["execute_tool lookup"][0]
    assert tool_span.attributes is not None
    assert tool_span.attributes["gen_ai.tool.name"] == "lookup"
    assert tool_span.attributes["gen_ai.tool.call.id"] == "call_1"
    # Content is off by default: no completion, arguments, results or outputs.
    for span in spans:
        assert span.attributes is not None
        assert not {
            "gen_ai.output.messages",
            "gen_ai.tool.call.arguments",
            "gen_ai.tool.call.result",
            "plait.node.output",
            "plait.run.inputs",
        } & set(span.attributes)


async def test_a_retry_ends_the_attempt_in_error_with_a_retry_event(
    exporter: InMemorySpanExporter,
) -> None:
    await support_graph().run(
        {"question": "Where?", "xs": []},
        options=RunOptions(clock=ManualClock()),
        listeners=(telemetry(exporter),),
    )

    first, second = sorted(
        by_name(exporter.get_finished_spans())["node flaky"],
        key=lambda span: str(span.attributes["plait.node.attempt"] if span.attributes else 0),
    )
    assert first.status.status_code is StatusCode.ERROR
    assert [event.name for event in first.events] == ["exception", "retry"]
    exception = first.events[0].attributes
    assert exception is not None
    assert exception["exception.type"] == "ConnectionError"
    assert exception["exception.message"] == "reset once"
    retry = first.events[1].attributes
    assert retry == {"plait.retry.delay": 0.5, "plait.retry.attempt": 2}
    assert second.status.status_code is StatusCode.UNSET
    assert second.attributes is not None
    assert second.attributes["plait.node.status"] == "succeeded"
    # The retry wait is in the trace: the second attempt starts 0.5 s after the first ended.
    assert first.end_time is not None
    assert second.start_time is not None
    assert second.start_time - first.end_time == 500_000_000


async def test_a_failure_is_recorded_on_the_node_and_the_run(
    exporter: InMemorySpanExporter,
) -> None:
    @node
    async def broken(x: int) -> int:
        raise ValueError(f"cannot use {KEY}")

    @node
    async def after(y: int) -> int:
        return y

    b = GraphBuilder("breaks", inputs={"x": int})
    graph = b.build(b.add(after, inputs={"y": b.add(broken, inputs={"x": "inputs.x"})}))

    result = await graph.run({"x": 1}, listeners=(telemetry(exporter, secrets=Secrets([KEY])),))

    assert result.status.value == "failed"
    named = by_name(exporter.get_finished_spans())
    failed = named["node broken"][0]
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes is not None
    assert failed.attributes["plait.node.status"] == "failed"
    assert [event.name for event in failed.events] == ["exception"]
    run = named["run breaks"][0]
    assert run.status.status_code is StatusCode.ERROR
    assert run.attributes is not None
    assert run.attributes["plait.run.status"] == "failed"
    assert "node after" not in named
    for span in named.values():
        for event in span[0].events:
            assert KEY not in str(event.attributes), f"{span[0].name}: {event.name}"
        assert KEY not in str(span[0].status.description)


async def test_content_is_recorded_when_asked_with_secrets_masked(
    exporter: InMemorySpanExporter,
) -> None:
    model = ScriptedModel(
        [Message.assistant(ToolCall("call_1", "lookup", {"order": 7})), f"Shipped, key {KEY}."],
        name="anthropic.claude-sonnet-5",
    )
    support = agent("support", model=model, inputs={"question": str}, tools=[lookup])
    b = GraphBuilder("support", inputs={"question": str})
    graph = b.build(b.add(support, inputs={"question": "inputs.question"}))

    await graph.run(
        {"question": f"my key is {KEY}"},
        options=RunOptions(secrets=Secrets([KEY])),
        listeners=(telemetry(exporter, content=True),),
    )

    spans = exporter.get_finished_spans()
    named = by_name(spans)
    chats = named["chat claude-sonnet-5"]
    assert chats[1].attributes is not None
    output = str(chats[1].attributes["gen_ai.output.messages"])
    assert "Shipped, key ***." in output
    assert chats[1].attributes["gen_ai.system"] == "anthropic"
    tool_span = named["execute_tool lookup"][0]
    assert tool_span.attributes is not None
    assert tool_span.attributes["gen_ai.tool.call.arguments"] == '{"order": 7}'
    assert tool_span.attributes["gen_ai.tool.call.result"] == "order 7: shipped"
    run = named["run support"][0]
    assert run.attributes is not None
    assert "my key is ***" in str(run.attributes["plait.run.inputs"])
    for span in spans:
        assert KEY not in str(span.attributes), span.name


async def test_content_follows_the_genai_variable_unless_set_explicitly(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    assert telemetry(exporter).content is True
    assert telemetry(exporter, content=False).content is False
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")
    assert telemetry(exporter).content is False


async def test_the_context_hook_carries_a_running_node_s_trace(
    exporter: InMemorySpanExporter,
) -> None:
    from opentelemetry.propagate import inject

    listener = telemetry(exporter)
    carriers: list[dict[str, str]] = []

    @node
    async def remote(x: int) -> int:
        headers: dict[str, str] = {}
        inject(headers, context=listener.context(RUN, "remote"))
        carriers.append(headers)
        return x

    RUN = "run-with-remote-work"
    b = GraphBuilder("remote", inputs={"x": int})
    graph = b.build(b.add(remote, inputs={"x": "inputs.x"}))
    await graph.run({"x": 1}, options=RunOptions(run_id=RUN), listeners=(listener,))

    span = by_name(exporter.get_finished_spans())["node remote"][0]
    trace_id = f"{span.context.trace_id:032x}"
    span_id = f"{span.context.span_id:016x}"
    assert [headers["traceparent"][:-3] for headers in carriers] == [f"00-{trace_id}-{span_id}"]
    assert listener.context(RUN) is None  # the run is over
