"""What the live display knows about a run: a row per node, kept up to date from events.

A node inside a map item, a loop turn or a subgraph (``each[3]/summarise``) counts toward
its top-level node's row: items or turns begun and done, retries and tokens.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from plait.cli._log_lines import describe_error
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
from plait.graphs import LoopNode, MapNode

if TYPE_CHECKING:
    from plait.graphs import Graph

__all__ = ["ACTIVE", "NodeRow", "RunProgress"]

_HEAD = re.compile(r"([^/\[]+)(?:\[(\d+)\])?")
ACTIVE = ("running", "retrying", "waiting")
"""States shown first: what the run is doing now."""


@dataclass(slots=True)
class NodeRow:
    """What the live table knows about one node."""

    node: str
    state: str = "pending"
    """pending (queued), running, retrying, waiting, done, failed, cancelled or skipped."""
    attempt: int = 0
    started: float | None = None
    """Run-clock time the node's first attempt began."""
    ended: float | None = None
    detail: str = ""
    retries: int = 0
    """Retries of this node and of every node inside it."""
    tokens: int = 0
    """Input and output tokens of its LLM calls (and of those inside it)."""
    kind: str = ""
    """``map`` or ``loop`` for a node that runs a body again and again."""
    total: int | None = None
    """How many turns a loop may take, or items a map runs (``None`` until the map says)."""
    body_output: str = ""
    begun: set[int] = field(default_factory=set)
    """Items or turns that have started."""
    done: int = 0
    """Items or turns whose body produced its output."""

    @property
    def label(self) -> str:
        """The state as shown, e.g. ``retrying after attempt 1``; ``queued`` for pending."""
        if self.state == "retrying":
            return f"retrying after attempt {self.attempt}"
        if self.state == "running" and self.attempt > 1:
            return f"running (attempt {self.attempt})"
        return "queued" if self.state == "pending" else self.state

    def count(self) -> str:
        """``3/5 turns``, ``7 of 9 items done``; empty for other nodes."""
        if self.kind == "loop":
            return f"{len(self.begun)}/{self.total} turns"
        if self.kind == "map":
            if self.total is not None:
                return f"{self.done}/{self.total} items"
            if self.state == "done":
                return f"{self.done}/{self.done} items"
            return f"{self.done}/{len(self.begun)}+ items" if self.begun else "0 items"
        return ""


def _row_for(node_id: str, graph: Graph[object]) -> NodeRow:
    node = graph.nodes[node_id]
    if isinstance(node, LoopNode):
        return NodeRow(
            node_id, kind="loop", total=node.max_iterations, body_output=node.body.output
        )
    if isinstance(node, MapNode):
        return NodeRow(node_id, kind="map", body_output=node.body.output)
    return NodeRow(node_id)


class RunProgress:
    """A run listener that keeps every node's row, the run's status and its totals.

    ``now`` must read the same clock as the run's events (``time.monotonic``, the
    engine's ``SystemClock``); it only times nodes and the run while they are going.
    """

    tokens = False
    """Tokens are counted from usage reports: agents need not stream for this listener."""

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
            step.node.id: _row_for(step.node.id, graph) for step in graph.plan.steps
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
            case RunFinished():
                self.run_id = event.run_id
                self.status = event.status.value
                self.ended = event.time
                if self.started is None:
                    self.started = event.time - event.duration
            case _ if "/" in event.node:
                self._inner(event)
            case _:
                self._top(event)

    def _top(self, event: Event) -> None:
        match event:
            case NodeStarted():
                row = self._row(event.node)
                row.state, row.attempt, row.detail = "running", event.attempt, ""
                if row.started is None:
                    row.started = event.time
            case NodeRetrying():
                row = self._row(event.node)
                row.state, row.attempt = "retrying", event.attempt
                row.retries += 1
                row.detail = (
                    f"next in {event.delay:.2f} s; {describe_error(event.error, event.secrets)}"
                )
            case NodeFinished():
                row = self._row(event.node)
                row.state, row.attempt, row.ended = "done", event.attempt, event.time
            case NodeFailed():
                row = self._row(event.node)
                row.state, row.attempt, row.ended = "failed", event.attempt, event.time
                row.detail = describe_error(event.error, event.secrets)
            case NodeCancelled():
                row = self._row(event.node)
                row.state, row.attempt, row.ended = "cancelled", event.attempt, event.time
            case NodeSkipped():
                row = self._row(event.node)
                row.state, row.ended, row.detail = "skipped", event.time, event.reason
            case NodeReported() if event.kind == "items":
                row = self._row(event.node)
                total = event.data.get("total")
                if row.kind == "map" and isinstance(total, int):
                    row.total = total
            case NodeReported():
                self._row(event.node).tokens += _tokens(event)
            case NodeWaiting():
                row = self._row(event.node)
                row.state, row.detail = "waiting", event.question
            case NodeRouted():
                row = self._row(event.node)
                row.detail = "chose " + ", ".join(repr(label) for label in event.labels)

    def _inner(self, event: Event) -> None:
        """An event of a node inside a top-level one: counted toward that row."""
        path = getattr(event, "node", "")
        head, _, rest = path.partition("/")
        match = _HEAD.fullmatch(head)
        if match is None:
            return
        row = self._row(match.group(1))
        index = match.group(2)
        if isinstance(event, NodeStarted) and index is not None:
            row.begun.add(int(index))
        elif isinstance(event, NodeFinished) and rest == row.body_output and index is not None:
            row.done += 1
        elif isinstance(event, NodeRetrying):
            row.retries += 1
        elif isinstance(event, NodeReported):
            row.tokens += _tokens(event)

    def counts(self) -> tuple[int, int, int]:
        """Nodes done, retries and tokens so far, across the run."""
        rows = list(self.rows.values())
        done = sum(row.state == "done" for row in rows)
        return done, sum(row.retries for row in rows), sum(row.tokens for row in rows)


def _tokens(event: NodeReported) -> int:
    if event.kind != "usage":
        return 0
    total = 0
    for name in ("input_tokens", "output_tokens"):
        value = event.data.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            total += value
    return total
