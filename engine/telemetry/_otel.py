"""OpenTelemetry: a run's events as spans, with the GenAI semantic conventions, and metrics.

The span tree of one run::

    run {graph}                         plait.run.id, plait.graph, plait.run.status
    └── node {path}                     one per attempt: plait.node, plait.node.attempt
        ├── chat {model}                an agent's LLM call: gen_ai.* and token usage
        ├── execute_tool {tool}         a tool call: gen_ai.tool.name, gen_ai.tool.call.id
        └── node {each[3]/inner}        nodes of a subgraph, map item or loop turn

A retry ends the failed attempt's span with status ERROR, its exception and a ``retry``
event; a skipped node is a ``skipped`` event on its parent's span; a router's choice a
``routed`` event. Spans are made from events after the fact, with the events' times, and
are never made current: nothing depends on the task or thread a listener runs on, so the
same listener works under asyncio and trio. With the SDK's tracer, a finished span goes straight
to its span processors (``_sink``). A tracing listener offers ``carrier``: the headers an
MCP tool call sends as its request's ``_meta``, so the server's spans join the trace.

An LLM call's span starts at the previous thing its agent did (the attempt's start, the
previous call's usage report, or its tools' results) and ends at its usage report; the
tools of one round end together, when the agent reports their results.

Prompt and completion content (node outputs, streamed completions, tool arguments and
results, run inputs) is recorded only with ``content=True`` or the GenAI convention's
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``. Events reach listeners with
the run's secrets already masked; error messages and tracebacks are masked here with the
run's secrets (which events carrying an error carry) and ``secrets``.

The OpenTelemetry API is imported when the listener is made; without it that raises an
``ImportError`` naming the ``otel`` extra.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from typing import TYPE_CHECKING

from plait.engine._events import (
    Event,
    NodeCancelled,
    NodeFailed,
    NodeFinished,
    NodeReported,
    NodeRetrying,
    NodeRouted,
    NodeSkipped,
    NodeStarted,
    NodeWaiting,
    RunFinished,
    RunStarted,
    RunStatus,
)
from plait.engine.telemetry._metrics import RunMetrics, node_id_of
from plait.engine.telemetry._sink import Attributes, OpenSpan, ReadableSpanSink, api_span, sink_for
from plait.engine.telemetry._spans import Attempt, RunSpans, json_text, llm_call_attributes
from plait.nodes import Secrets

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import Tracer, TracerProvider

__all__ = ["CONTENT_VARIABLE", "OpenTelemetry"]

CONTENT_VARIABLE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""The GenAI convention's switch for recording prompts and completions."""
_EXTRA = "OpenTelemetry support needs its extra: pip install 'plait[otel]'"
_NS = 1_000_000_000


class OpenTelemetry:
    """A run listener that records the run as OpenTelemetry spans and metrics.

    ``OpenTelemetry()`` uses the globally configured tracer and meter providers (nothing is
    recorded until the application sets them up, as with any instrumented library);
    pass ``tracer_provider``/``meter_provider`` to use others. One listener can watch
    any number of runs, one after another or at once.

    Raises:
        ImportError: when the OpenTelemetry API is not installed (the ``otel`` extra).
    """

    def __init__(
        self,
        *,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        content: bool | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        try:
            from opentelemetry import metrics, trace
        except ImportError as error:
            raise ImportError(_EXTRA) from error
        self.tracer: Tracer = trace.get_tracer("plait", tracer_provider=tracer_provider)
        self.sink = sink_for(self.tracer)
        self._global = tracer_provider is None
        meter = metrics.get_meter("plait", meter_provider=meter_provider)
        self.metrics = RunMetrics(meter)
        if content is None:
            content = os.environ.get(CONTENT_VARIABLE, "").strip().lower() == "true"
        self.content = content
        self.secrets = secrets or Secrets()
        self._runs: dict[str, RunSpans] = {}
        self._trace = trace

    @property
    def tokens(self) -> bool:
        """Streamed tokens are wanted only to record completions (``content``); without
        them agents need not stream (streaming through an SDK costs more)."""
        return self.content

    def context(self, run_id: str, node: str | None = None) -> Context | None:
        """The trace context of a running node's attempt (of the run without ``node``).

        The hook for carrying a trace across a process boundary: inject it into a
        carrier with ``opentelemetry.propagate.inject(headers, context=...)`` (an
        executor's task, an MCP request) and the remote side's spans join the run's
        trace. ``None`` when the run or node is not running.
        """
        found = self._runs.get(run_id)
        if found is None:
            return None
        attempt = found.attempts.get(node) if node is not None else None
        span = attempt.span if attempt is not None else found.span
        return self._trace.set_span_in_context(api_span(span))

    def carrier(self, run_id: str, node: str, call: str = "") -> dict[str, str]:
        """The headers (W3C ``traceparent``, by the configured propagator) that carry the
        trace of tool call ``call`` of a running node (of the node's attempt when that
        call has no span): what an MCP request's ``_meta`` carries. Empty when neither
        runs."""
        from opentelemetry.propagate import inject

        found = self._runs.get(run_id)
        if found is None:
            return {}
        tool = found.tools.get((node, call))
        attempt = found.attempts.get(node)
        span = tool[0] if tool is not None else attempt.span if attempt is not None else None
        headers: dict[str, str] = {}
        if span is not None:
            inject(headers, context=self._trace.set_span_in_context(api_span(span)))
        return headers

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._run_started(event)
            return
        run = self._runs.get(event.run_id)
        if run is None:
            return
        match event:
            case NodeStarted():
                self._node_started(run, event)
            case NodeFinished():
                self._node_finished(run, event)
            case NodeReported():
                self._reported(run, event)
            case NodeRetrying():
                self._node_retrying(run, event)
            case NodeFailed():
                self._node_failed(run, event)
            case NodeCancelled():
                self._node_ended(run, event.node, event.time, "cancelled")
            case NodeSkipped():
                self._parent(run, event.node).add_event(
                    "skipped",
                    {"plait.node": event.node, "plait.skip.reason": event.reason},
                    self._ns(run, event.time),
                )
            case NodeRouted():
                self._routed(run, event)
            case NodeWaiting():
                self._waiting(run, event)
            case RunFinished():
                self._run_finished(run, event)

    def _ns(self, run: RunSpans, at: float) -> int:
        return run.offset + int(at * _NS)

    def _run_started(self, event: RunStarted) -> None:
        offset = time.time_ns() - int(event.time * _NS)
        attributes: Attributes = {
            "plait.run.id": event.run_id,
            "plait.graph": event.graph,
            "plait.graph.content_hash": event.content_hash,
            "gen_ai.operation.name": "invoke_workflow",
            "gen_ai.workflow.name": event.graph,
        }
        if self.content:
            attributes["plait.run.inputs"] = json_text(event.inputs)
        if self._global and not isinstance(self.sink, ReadableSpanSink):
            # the global provider may have been set since: its tracer may be the SDK's now
            self.tracer = self._trace.get_tracer("plait")
            self.sink = sink_for(self.tracer)
        start = offset + int(event.time * _NS)
        span = self.sink.begin(f"run {event.graph}", None, attributes, start)
        self._runs[event.run_id] = RunSpans(span, event.graph, offset)

    def _outer(self, run: RunSpans, path: str) -> Attempt | None:
        """The attempt of the composite node whose body ``path`` runs in, if any."""
        cut = path.rfind("/")
        if cut < 0:
            return None
        outer = path[:cut]
        if outer.endswith("]"):
            outer = outer[: outer.rfind("[")]
        return run.attempts.get(outer)

    def _parent(self, run: RunSpans, path: str) -> OpenSpan:
        """The span of the composite node whose body ``path`` runs in; else the run's."""
        found = self._outer(run, path)
        return found.span if found is not None else run.span

    def _node_started(self, run: RunSpans, event: NodeStarted) -> None:
        outer = self._outer(run, event.node) if "/" in event.node else None
        attributes: Attributes = {
            "plait.run.id": event.run_id,
            "plait.node": event.node,
            "plait.node.attempt": event.attempt,
        }
        if outer is not None:
            attributes["plait.node.id"] = node_id_of(event.node)
        parent = run.span if outer is None else outer.span
        span = self.sink.begin(f"node {event.node}", parent, attributes, self._ns(run, event.time))
        run.attempts[event.node] = Attempt(span, event.time, event.time)

    def _node_finished(self, run: RunSpans, event: NodeFinished) -> None:
        attempt = run.attempts.pop(event.node, None)
        self.metrics.attempt(event.node, "succeeded", event.duration)
        if attempt is None:
            return
        span = attempt.span
        span.attributes["plait.node.status"] = "succeeded"
        if self.content:
            span.attributes["plait.node.output"] = json_text(event.output)
        self.sink.end(span, self._ns(run, event.time))

    def _error(self, span: OpenSpan, error: BaseException, at: int, run_secrets: Secrets) -> None:
        from opentelemetry.trace import Status, StatusCode

        secrets = self.secrets | run_secrets
        message = secrets.mask(str(error))
        stack = "".join(traceback.format_exception(error))
        span.status = Status(StatusCode.ERROR, f"{type(error).__name__}: {message}")
        span.add_event(
            "exception",
            {
                "exception.type": type(error).__qualname__,
                "exception.message": message,
                "exception.stacktrace": secrets.mask(stack),
            },
            at,
        )

    def _node_retrying(self, run: RunSpans, event: NodeRetrying) -> None:
        attempt = run.attempts.pop(event.node, None)
        began = attempt.began if attempt is not None else event.time
        self.metrics.attempt(event.node, "retried", event.time - began)
        if attempt is None:
            return
        at = self._ns(run, event.time)
        span = attempt.span
        span.attributes["plait.node.status"] = "retrying"
        self._error(span, event.error, at, event.secrets)
        following = {"plait.retry.delay": event.delay, "plait.retry.attempt": event.attempt + 1}
        span.add_event("retry", following, at)
        self.sink.end(span, at)

    def _node_failed(self, run: RunSpans, event: NodeFailed) -> None:
        attempt = run.attempts.pop(event.node, None)
        at = self._ns(run, event.time)
        if attempt is None:  # its last attempt's span ended already (a join, a route)
            self._error(self._parent(run, event.node), event.error, at, event.secrets)
            return
        self.metrics.attempt(event.node, "failed", event.time - attempt.began)
        attempt.span.attributes["plait.node.status"] = "failed"
        self._error(attempt.span, event.error, at, event.secrets)
        self.sink.end(attempt.span, at)

    def _node_ended(self, run: RunSpans, node: str, at: float, status: str) -> None:
        attempt = run.attempts.pop(node, None)
        if attempt is None:
            return
        self.metrics.attempt(node, status, at - attempt.began)
        attempt.span.attributes["plait.node.status"] = status
        self.sink.end(attempt.span, self._ns(run, at))

    def _routed(self, run: RunSpans, event: NodeRouted) -> None:
        attempt = run.attempts.get(event.node)
        span = attempt.span if attempt is not None else self._parent(run, event.node)
        span.add_event(
            "routed",
            {
                "plait.route.labels": [str(label) for label in event.labels],
                "plait.route.taken": list(event.taken),
                "plait.route.skipped": list(event.skipped),
            },
            self._ns(run, event.time),
        )

    def _waiting(self, run: RunSpans, event: NodeWaiting) -> None:
        attempt = run.attempts.get(event.node)
        span = attempt.span if attempt is not None else self._parent(run, event.node)
        attributes = {"plait.node": event.node}
        if self.content:
            attributes["plait.question"] = event.question
        span.add_event("waiting", attributes, self._ns(run, event.time))

    def _reported(self, run: RunSpans, event: NodeReported) -> None:
        attempt = run.attempts.get(event.node)
        if attempt is None:
            return
        data = event.data
        if event.kind == "token":
            if self.content:
                attempt.tokens.append(str(data.get("text", "")))
        elif event.kind == "usage":
            self._llm_call(run, attempt, event)
        elif event.kind == "tool_call":
            self._tool_call(run, attempt, event)
        elif event.kind == "tool_result":
            self._tool_result(run, attempt, event)

    def _llm_call(self, run: RunSpans, attempt: Attempt, event: NodeReported) -> None:
        data = event.data
        call, attributes = llm_call_attributes(data)
        if self.content and attempt.tokens:
            # masked again whole: a secret may have been streamed split across tokens
            part = {"type": "text", "content": self.secrets.mask("".join(attempt.tokens))}
            message = {"role": "assistant", "parts": [part]}
            attributes["gen_ai.output.messages"] = json.dumps([message], ensure_ascii=False)
            attempt.tokens.clear()
        name = f"chat {call['gen_ai.request.model']}"
        span = self.sink.begin(name, attempt.span, attributes, self._ns(run, attempt.mark))
        self.sink.end(span, self._ns(run, event.time))
        self.metrics.llm_call(call, data)
        attempt.mark = event.time

    def _tool_call(self, run: RunSpans, attempt: Attempt, event: NodeReported) -> None:
        data = event.data
        tool = str(data.get("name", ""))
        attributes: Attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": tool,
            "gen_ai.tool.call.id": str(data.get("id", "")),
        }
        if self.content:
            attributes["gen_ai.tool.call.arguments"] = json_text(data.get("arguments", {}))
        at = self._ns(run, event.time)
        span = self.sink.begin(f"execute_tool {tool}", attempt.span, attributes, at)
        run.tools[(event.node, str(data.get("id", "")))] = (span, event.time)

    def _tool_result(self, run: RunSpans, attempt: Attempt, event: NodeReported) -> None:
        from opentelemetry.trace import Status, StatusCode

        data = event.data
        found = run.tools.pop((event.node, str(data.get("id", ""))), None)
        attempt.mark = event.time
        if found is None:
            return
        span = found[0]
        if data.get("is_error"):
            span.status = Status(StatusCode.ERROR, "the tool returned an error")
        if self.content:
            span.attributes["gen_ai.tool.call.result"] = json_text(data.get("content", ""))
        self.sink.end(span, self._ns(run, event.time))

    def _run_finished(self, run: RunSpans, event: RunFinished) -> None:
        from opentelemetry.trace import Status, StatusCode

        del self._runs[event.run_id]
        at = self._ns(run, event.time)
        status = event.status.value
        for span, _ in run.tools.values():
            self.sink.end(span, at)
        for attempt in run.attempts.values():  # waiting, or cut short with the run
            attempt.span.attributes["plait.node.status"] = status
            self.sink.end(attempt.span, at)
        span = run.span
        span.attributes["plait.run.status"] = status
        if event.error is not None and event.status is not RunStatus.WAITING:
            self._error(span, event.error, at, event.secrets)
        elif event.status is RunStatus.SUCCEEDED:
            span.status = Status(StatusCode.OK)
        self.sink.end(span, at)
        self.metrics.run(run.graph, status, event.duration)
