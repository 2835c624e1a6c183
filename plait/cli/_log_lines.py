"""Plain progress: one ``plait: ...`` line per run event, for logs and non-terminals."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO, assert_never

from plait.engine import (
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
)

if TYPE_CHECKING:
    from plait.graphs import Graph
    from plait.nodes import Secrets

__all__ = ["PREFIX", "LogLines", "describe_error", "format_duration"]

PREFIX = "plait: "


def describe_error(error: BaseException, secrets: Secrets | None = None) -> str:
    """``Type: first line of the message`` (just ``Type`` when there is no message), with
    ``secrets`` (an event's: the run's) masked."""
    text = str(error) if secrets is None else secrets.mask(str(error))
    lines = text.strip().splitlines()
    name = type(error).__name__
    return f"{name}: {lines[0]}" if lines else name


def format_duration(seconds: float) -> str:
    """``0.42 s``, ``12.3 s``, ``4 min 05 s``, ``2 h 03 min``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def _nodes(count: int) -> str:
    return f"{count} node" if count == 1 else f"{count} nodes"


def _attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


class LogLines:
    """A listener that writes one ``plait: ...`` line per event to ``stream``."""

    def __init__(self, graph: Graph[object], stream: TextIO) -> None:
        self.node_count = len(graph.nodes)
        self.stream = stream

    def line(self, event: Event) -> str:
        """The log line for ``event``, without the trailing newline."""
        match event:
            case RunStarted():
                text = (
                    f"run {event.run_id} started: graph {event.graph} ({_nodes(self.node_count)})"
                )
            case NodeStarted():
                text = f"node {event.node} started (attempt {event.attempt})"
            case NodeRetrying():
                text = (
                    f"node {event.node} retrying in {event.delay:.2f} s after attempt "
                    f"{event.attempt}: {describe_error(event.error, event.secrets)}"
                )
            case NodeFinished():
                text = f"node {event.node} done in {event.duration:.3f} s"
            case NodeFailed():
                text = (
                    f"node {event.node} failed after {_attempts(event.attempt)}: "
                    f"{describe_error(event.error, event.secrets)}"
                )
            case NodeCancelled():
                text = f"node {event.node} cancelled (attempt {event.attempt})"
            case NodeSkipped():
                text = f"node {event.node} skipped: {event.reason}"
            case NodeReported():
                text = f"node {event.node} reported {event.kind}"
            case NodeWaiting():
                text = f"node {event.node} waits for an answer: {event.question}"
            case NodeRouted():
                labels = ", ".join(repr(label) for label in event.labels) or "no label"
                taken = ", ".join(event.taken) or "nothing"
                text = f"node {event.node} chose {labels}: runs {taken}"
            case RunFinished():
                text = f"run {event.run_id} {event.status.value} in {event.duration:.3f} s"
            case _:
                assert_never(event)
        return PREFIX + text

    def __call__(self, event: Event) -> None:
        print(self.line(event), file=self.stream, flush=True)
