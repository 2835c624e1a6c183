"""Building a run's canonical trace from its events, and running a graph to get one."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import anyio

from plait.engine._api import run
from plait.engine._events import (
    Event,
    EventListener,
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
from plait.engine._options import RunOptions
from plait.engine._result import NodeStatus, RunResult
from plait.engine._secrets import run_secrets
from plait.engine.traces._paths import GraphIndex
from plait.engine.traces._trace import (
    FailedAttempt,
    NodeTrace,
    RouteDecision,
    Trace,
    TracedCall,
    TracedError,
)
from plait.engine.traces._values import Canonicaliser, Redaction
from plait.graphs import Graph

__all__ = ["UNTRACED_KINDS", "TraceRecorder", "trace", "trace_sync"]

OutputT = TypeVar("OutputT")

UNTRACED_KINDS = frozenset({"token", "items"})
"""Report kinds left out of traces: streamed tokens repeat the response, split arbitrarily;
a map's item count is its output's length."""

_MISSING = object()


@dataclass(slots=True)
class _Execution:
    """What the events said about one node execution, raw."""

    status: NodeStatus = NodeStatus.PENDING
    attempts: int = 0
    errors: list[tuple[int, BaseException]] = field(default_factory=list)
    calls: list[tuple[int, str, Mapping[str, object]]] = field(default_factory=list)
    output: object = _MISSING
    route: NodeRouted | None = None
    reason: str | None = None
    cached: bool = False


class TraceRecorder:
    """A run listener that builds the run's canonical trace.

    ``recorder = TraceRecorder(graph)``, ``await run(graph, inputs, listeners=(recorder,))``,
    then ``recorder.trace()``. A new run started with the same recorder starts afresh.
    """

    tokens = False
    """Streamed tokens are left out of traces: agents need not stream for a recorder."""

    def __init__(self, graph: Graph[object], *, redaction: Redaction | None = None) -> None:
        self.graph = graph
        self.redaction = redaction or Redaction()
        self._index = GraphIndex(graph)
        self._started: RunStarted | None = None
        self._finished: RunFinished | None = None
        self._executions: dict[str, _Execution] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._started, self._finished, self._executions = event, None, {}
            return
        if isinstance(event, RunFinished):
            self._finished = event
            return
        node = getattr(event, "node", None)
        if not isinstance(node, str):  # an event about the run, not a node
            return
        execution = self._executions.get(node)
        if execution is None:
            execution = self._executions[node] = _Execution()
        if isinstance(event, NodeStarted):
            execution.attempts = event.attempt
            execution.status = NodeStatus.RUNNING
        elif isinstance(event, NodeFinished):
            execution.status = NodeStatus.SUCCEEDED
            execution.output = event.output
            execution.cached = event.cached
        elif isinstance(event, NodeWaiting):
            execution.status = NodeStatus.WAITING
        elif isinstance(event, NodeReported):
            if event.kind not in UNTRACED_KINDS:
                execution.calls.append((execution.attempts, event.kind, event.data))
        elif isinstance(event, NodeRetrying):
            execution.errors.append((event.attempt, event.error))
        elif isinstance(event, NodeFailed):
            execution.errors.append((event.attempt, event.error))
            execution.status = NodeStatus.FAILED
        elif isinstance(event, NodeCancelled):
            execution.status = NodeStatus.CANCELLED
        elif isinstance(event, NodeRouted):
            execution.route = event
        elif isinstance(event, NodeSkipped):
            execution.status = NodeStatus.SKIPPED
            execution.reason = event.reason

    def trace(self) -> Trace:
        """The trace of the last run this recorder heard.

        Raises:
            RuntimeError: when no run has finished since the recorder was made.
        """
        started, finished = self._started, self._finished
        if started is None or finished is None:
            raise RuntimeError(
                f"no finished run of graph `{self.graph.name}` to trace: pass the recorder "
                "in listeners=(recorder,) and call trace() after the run returns"
            )
        # The keys the graph's agents call with are scrubbed too, wherever they were echoed,
        # and all the run knew (its finish carries them: a shared MCP hub's, for one).
        known = (run_secrets(self.graph) | finished.secrets).reveal()
        canon = Canonicaliser(self.redaction.extended(values=known), started.run_id)
        outputs = {
            path: execution.output
            for path, execution in self._executions.items()
            if execution.output is not _MISSING
        }
        for value in (started.inputs, *outputs.values()):
            canon.collect(value)
        for execution in self._executions.values():
            for _, _, data in execution.calls:
                canon.collect(data)
        canon.ready()
        paths = sorted(self._executions, key=self._index.sort_key)
        nodes = tuple(
            self._node(path, self._executions[path], finished.status, outputs, started, canon)
            for path in paths
        )
        output: object = None
        if finished.status is RunStatus.SUCCEEDED:
            output = canon.value(self._output(outputs))
        return Trace(
            graph=self.graph.name,
            status=finished.status,
            inputs=_as_mapping(canon.value(started.inputs)),
            output=output,
            error=_error(finished.error, canon) if finished.error is not None else None,
            nodes=nodes,
        )

    def _node(
        self,
        path: str,
        execution: _Execution,
        run_status: RunStatus,
        outputs: Mapping[str, object],
        started: RunStarted,
        canon: Canonicaliser,
    ) -> NodeTrace:
        status = execution.status
        if status is NodeStatus.RUNNING:  # started, never ended: a human node, or cut off
            waiting = run_status is RunStatus.WAITING
            status = NodeStatus.WAITING if waiting else NodeStatus.CANCELLED
        inputs = None
        if execution.attempts or execution.cached:
            found = self._index.inputs(path, outputs, started.inputs)
            inputs = None if found is None else _as_mapping(canon.value(found))
        route = execution.route
        return NodeTrace(
            node=path,
            status=status,
            reason=None if execution.reason is None else canon.text(execution.reason),
            attempts=execution.attempts,
            errors=tuple(
                FailedAttempt(attempt=attempt, type=type(error).__name__, message=message)
                for attempt, error in execution.errors
                for message in (canon.text(str(error)),)
            ),
            inputs=inputs,
            calls=tuple(
                TracedCall(attempt=attempt, kind=kind, data=_as_mapping(canon.value(data)))
                for attempt, kind, data in execution.calls
            ),
            output=canon.value(execution.output) if status is NodeStatus.SUCCEEDED else None,
            route=None
            if route is None
            else RouteDecision(
                labels=tuple(_as_list(canon.value(route.labels))),
                taken=route.taken,
                skipped=route.skipped,
            ),
            cached=execution.cached,
        )

    def _output(self, outputs: Mapping[str, object]) -> object:
        plan = self.graph.plan
        value = outputs.get(plan.steps[plan.output_step].node.id)
        return value if plan.output_getter is None else plan.output_getter(value)


def _error(error: BaseException, canon: Canonicaliser) -> TracedError:
    return TracedError(type=type(error).__name__, message=canon.text(str(error)))


def _as_mapping(value: object) -> Mapping[str, object]:
    if isinstance(value, Mapping):
        return value
    return {"value": value}


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


async def trace(
    graph: Graph[OutputT],
    inputs: Mapping[str, object] | None = None,
    /,
    *,
    options: RunOptions | None = None,
    listeners: tuple[EventListener, ...] = (),
    redaction: Redaction | None = None,
) -> tuple[RunResult[OutputT], Trace]:
    """Run ``graph`` on ``inputs`` and return its result and its canonical trace.

    A failed run does not raise: its trace says how it failed.

    Raises:
        InputError: when ``inputs`` do not fit the graph; nothing has run.
    """
    recorder = TraceRecorder(graph, redaction=redaction)
    result = await run(graph, inputs, options=options, listeners=(*listeners, recorder))
    return result, recorder.trace()


def trace_sync(
    graph: Graph[OutputT],
    inputs: Mapping[str, object] | None = None,
    /,
    *,
    options: RunOptions | None = None,
    listeners: tuple[EventListener, ...] = (),
    redaction: Redaction | None = None,
    backend: str = "asyncio",
) -> tuple[RunResult[OutputT], Trace]:
    """``trace`` for synchronous code: starts an event loop (``asyncio`` or ``trio``)."""
    call = functools.partial(
        trace, graph, inputs, options=options, listeners=listeners, redaction=redaction
    )
    return anyio.run(call, backend=backend)
