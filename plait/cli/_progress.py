"""How ``plait run`` reports a run while it goes: plain log lines, or a live rich table.

Both are run listeners (``EventListener``): they receive every event, in order, and only
record or print; they never block. rich is imported only when the live table is used, so
``import plait.cli`` stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
    RunStatus,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from plait.graphs import Graph

__all__ = [
    "LogLines",
    "NodeRow",
    "ProgressTable",
    "describe_error",
    "format_duration",
    "live_progress",
]

PREFIX = "plait: "


def describe_error(error: BaseException) -> str:
    """``Type: first line of the message`` (just ``Type`` when there is no message)."""
    lines = str(error).strip().splitlines()
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
                    f"{event.attempt}: {describe_error(event.error)}"
                )
            case NodeFinished():
                text = f"node {event.node} done in {event.duration:.3f} s"
            case NodeFailed():
                text = (
                    f"node {event.node} failed after {_attempts(event.attempt)}: "
                    f"{describe_error(event.error)}"
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


@dataclass(slots=True)
class NodeRow:
    """What the live table knows about one node."""

    node: str
    state: str = "pending"
    """pending, running, retrying, done, failed, cancelled or skipped."""
    attempt: int = 0
    started: float | None = None
    """Run-clock time the node's first attempt began."""
    ended: float | None = None
    detail: str = ""

    @property
    def label(self) -> str:
        """The state as shown, e.g. ``retrying after attempt 1``."""
        if self.state == "retrying":
            return f"retrying after attempt {self.attempt}"
        if self.state == "running" and self.attempt > 1:
            return f"running (attempt {self.attempt})"
        return self.state


_STYLES = {
    "pending": "dim",
    "running": "bold cyan",
    "retrying": "bold magenta",
    "done": "green",
    "failed": "bold red",
    "cancelled": "yellow",
    "skipped": "dim",
    "waiting": "bold yellow",
}


class ProgressTable:
    """A listener that keeps every node's state; renders as a rich table.

    ``now`` must read the same clock as the run's events (``time.monotonic``, the
    engine's ``SystemClock``); it only times nodes and the run while they are going.
    """

    def __init__(
        self,
        graph: Graph[object],
        *,
        now: Callable[[], float] = time.monotonic,
        run_id: str | None = None,
    ) -> None:
        self.graph = graph.name
        self.now = now
        # Every row exists from the start: a refresh thread may iterate this mapping
        # while events update it, so it must never change size.
        self.rows: dict[str, NodeRow] = {
            step.node.id: NodeRow(step.node.id) for step in graph.plan.steps
        }
        self.run_id: str | None = run_id
        self.status = "starting"
        self.started: float | None = None
        self.ended: float | None = None

    def _row(self, node: str) -> NodeRow:
        row = self.rows.get(node)
        return row if row is not None else NodeRow(node)  # unknown node: ignore quietly

    def __call__(self, event: Event) -> None:
        match event:
            case RunStarted():
                self.run_id = event.run_id
                self.status = RunStatus.RUNNING.value
                self.started = event.time
            case NodeStarted():
                row = self._row(event.node)
                row.state, row.attempt, row.detail = "running", event.attempt, ""
                if row.started is None:
                    row.started = event.time
            case NodeRetrying():
                row = self._row(event.node)
                row.state, row.attempt = "retrying", event.attempt
                row.detail = f"next in {event.delay:.2f} s; {describe_error(event.error)}"
            case NodeFinished():
                row = self._row(event.node)
                row.state, row.attempt, row.ended = "done", event.attempt, event.time
            case NodeFailed():
                row = self._row(event.node)
                row.state, row.attempt, row.ended = "failed", event.attempt, event.time
                row.detail = describe_error(event.error)
            case NodeCancelled():
                row = self._row(event.node)
                row.state, row.attempt, row.ended = "cancelled", event.attempt, event.time
            case NodeSkipped():
                row = self._row(event.node)
                row.state, row.ended, row.detail = "skipped", event.time, event.reason
            case NodeReported():
                pass
            case NodeWaiting():
                row = self._row(event.node)
                row.state, row.detail = "waiting", event.question
            case NodeRouted():
                row = self._row(event.node)
                row.detail = "chose " + ", ".join(repr(label) for label in event.labels)
            case RunFinished():
                self.run_id = event.run_id
                self.status = event.status.value
                self.ended = event.time
                if self.started is None:
                    self.started = event.time - event.duration

    def _elapsed(self, started: float | None, ended: float | None) -> str:
        if started is None:
            return ""
        end = ended if ended is not None else self.now()
        return f"{max(0.0, end - started):.2f} s"

    def summary(self) -> str:
        """One line: run id, graph, status, nodes done, and time so far."""
        done = sum(row.state == "done" for row in self.rows.values())
        parts = [
            f"run {self.run_id}" if self.run_id else "run",
            f"graph {self.graph}",
            self.status,
            f"{done}/{len(self.rows)} done",
        ]
        elapsed = self._elapsed(self.started, self.ended)
        if elapsed:
            parts.append(elapsed)
        return ", ".join(parts)

    def render(self) -> RenderableType:
        """The summary line above a table of nodes: state, attempt, time, detail."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        # Narrow terminals shorten the detail first, then long node names and states.
        widest = max((len(name) for name in self.rows), default=4)
        table.add_column("node", no_wrap=True, min_width=min(widest, 24))
        table.add_column("state", no_wrap=True, min_width=9)
        table.add_column("attempt", justify="right", no_wrap=True, min_width=7)
        table.add_column("time", justify="right", no_wrap=True, min_width=8)
        table.add_column("detail", overflow="ellipsis", no_wrap=True, max_width=60)
        for row in list(self.rows.values()):
            table.add_row(
                row.node,
                Text(row.label, style=_STYLES.get(row.state, "")),
                str(row.attempt) if row.attempt else "",
                self._elapsed(row.started, row.ended),
                row.detail,
            )
        status_style = {"succeeded": "bold green", "failed": "bold red"}.get(self.status, "bold")
        header = Text("plait: ", style="bold")
        header.append(self.summary(), style=status_style)
        return Group(header, table)

    def __rich__(self) -> RenderableType:
        return self.render()


@contextmanager
def live_progress(
    graph: Graph[object],
    *,
    console: Console | None = None,
    now: Callable[[], float] = time.monotonic,
    run_id: str | None = None,
    refresh_per_second: float = 8,
) -> Iterator[ProgressTable]:
    """Show a live table of ``graph``'s nodes on ``console`` (stderr by default).

    Yields the ``ProgressTable`` to pass as a run listener; leaving the block draws the
    final state once more and stops the display.
    """
    from rich.console import Console
    from rich.live import Live

    table = ProgressTable(graph, now=now, run_id=run_id)
    console = console if console is not None else Console(stderr=True)
    try:
        with Live(table, console=console, refresh_per_second=refresh_per_second):
            yield table
    finally:
        if not console.is_terminal:  # rich ends its last drawing with a newline only there
            console.line()
