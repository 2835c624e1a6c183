"""An MCP tool call carries the run's trace: W3C ``traceparent`` in the request's
``_meta``, naming the call's own span, when the run is traced (and nothing otherwise);
the test suite's MCP server sends back the ``_meta`` it received."""

from __future__ import annotations

import json

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from plait import GraphBuilder
from plait.engine import EventListener, run
from plait.engine.telemetry import OpenTelemetry
from plait.nodes import Message, ScriptedModel, ToolCall, agent
from plait.nodes.mcp import mcp
from tests.nodes.mcp.conftest import faults

pytestmark = pytest.mark.anyio


async def received_meta(listeners: tuple[EventListener, ...]) -> dict[str, str]:
    """The ``_meta`` the server got with one call of its ``meta`` tool."""
    model = ScriptedModel(
        [
            Message.assistant(ToolCall("call-1", "faults__meta", {})),
            lambda request: request.messages[-1].tool_results[0].content,
        ]
    )
    builder = GraphBuilder("traced", inputs={"message": str})
    asked = agent("asker", model=model, tools=[mcp(faults())])
    graph = builder.build(builder.add(asked, inputs={"message": "inputs.message"}))
    result = await run(graph, {"message": "go"}, listeners=listeners)
    assert result.error is None, result.error
    found = json.loads(str(result.output))
    assert isinstance(found, dict)
    return found


async def test_a_traced_run_sends_the_tool_call_span_as_traceparent() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    meta = await received_meta((OpenTelemetry(tracer_provider=provider),))

    call = next(s for s in exporter.get_finished_spans() if s.name == "execute_tool faults__meta")
    context = call.context
    flags = f"{context.trace_flags:02x}"
    assert meta["traceparent"] == f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags}"
    assert context.trace_flags.sampled


async def test_an_untraced_run_sends_no_trace_context() -> None:
    meta = await received_meta(())
    assert "traceparent" not in meta
