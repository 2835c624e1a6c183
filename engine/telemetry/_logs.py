"""Structured logs: a run's events as stdlib ``logging`` records under the ``plait`` logger.

Each record's message is a readable sentence; its ``plait`` attribute holds the stable
fields: ``event`` (one of ``EVENT_NAMES``), ``run_id``, and where they apply ``node``,
``attempt``, ``duration``, ``delay``, ``error``, ``status``, ``reason``, ``kind``.
``JsonLogFormatter`` writes a record as one JSON object per line. Events reach listeners
with the run's secrets masked; error messages are masked here with the run's secrets
(carried by the events that carry an error) and ``secrets``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import assert_never

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
from plait.nodes import Secrets

__all__ = ["EVENT_NAMES", "LOGGER", "JsonLogFormatter", "StructuredLogs"]

LOGGER = "plait.run"
"""The logger records go to (a child of ``plait``)."""
EVENT_NAMES = (
    "run.started",
    "node.started",
    "node.finished",
    "node.retrying",
    "node.failed",
    "node.cancelled",
    "node.skipped",
    "node.routed",
    "node.waiting",
    "node.reported",
    "run.finished",
)
"""Every ``event`` field a record may carry; stable across releases."""

Fields = dict[str, str | int | float | list[str] | None]


class StructuredLogs:
    """A run listener that logs every event (``node.reported`` at DEBUG) to ``plait.run``."""

    def __init__(
        self, logger: logging.Logger | None = None, *, secrets: Secrets | None = None
    ) -> None:
        self.logger = logger if logger is not None else logging.getLogger(LOGGER)
        self.secrets = secrets or Secrets()

    def _error(self, error: BaseException | None, run_secrets: Secrets) -> str | None:
        if error is None:
            return None
        lines = (self.secrets | run_secrets).mask(str(error)).strip().splitlines()
        name = type(error).__name__
        return f"{name}: {lines[0]}" if lines else name

    @property
    def tokens(self) -> bool:
        """Streamed tokens are logged only at DEBUG: below it, agents need not stream."""
        return self.logger.isEnabledFor(logging.DEBUG)

    def describe(self, event: Event) -> tuple[int, str, Fields]:
        """The level, message and fields logged for ``event``."""
        fields: Fields = {"run_id": event.run_id}
        level = logging.INFO
        match event:
            case RunStarted():
                fields |= {"event": "run.started", "graph": event.graph}
                text = f"run {event.run_id} started: graph {event.graph}"
            case NodeStarted():
                fields |= {"event": "node.started", "node": event.node, "attempt": event.attempt}
                text = f"node {event.node} started (attempt {event.attempt})"
            case NodeFinished():
                fields |= {"event": "node.finished", "node": event.node, "attempt": event.attempt}
                fields["duration"] = round(event.duration, 6)
                text = f"node {event.node} done in {event.duration:.3f} s"
            case NodeRetrying():
                error = self._error(event.error, event.secrets)
                fields |= {"event": "node.retrying", "node": event.node, "attempt": event.attempt}
                fields |= {"delay": round(event.delay, 6), "error": error}
                level = logging.WARNING
                text = f"node {event.node} retrying in {event.delay:.2f} s: {error}"
            case NodeFailed():
                error = self._error(event.error, event.secrets)
                fields |= {"event": "node.failed", "node": event.node, "attempt": event.attempt}
                fields["error"] = error
                level = logging.ERROR
                text = f"node {event.node} failed after attempt {event.attempt}: {error}"
            case NodeCancelled():
                fields |= {"event": "node.cancelled", "node": event.node, "attempt": event.attempt}
                text = f"node {event.node} cancelled (attempt {event.attempt})"
            case NodeSkipped():
                fields |= {"event": "node.skipped", "node": event.node, "reason": event.reason}
                text = f"node {event.node} skipped: {event.reason}"
            case NodeRouted():
                fields |= {"event": "node.routed", "node": event.node}
                fields["taken"] = list(event.taken)
                text = f"node {event.node} runs {', '.join(event.taken) or 'nothing'}"
            case NodeWaiting():
                fields |= {"event": "node.waiting", "node": event.node}
                text = f"node {event.node} waits for an answer"
            case NodeReported():
                fields |= {"event": "node.reported", "node": event.node, "kind": event.kind}
                level = logging.DEBUG
                text = f"node {event.node} reported {event.kind}"
            case RunFinished():
                fields |= {"event": "run.finished", "status": event.status.value}
                fields |= {
                    "duration": round(event.duration, 6),
                    "error": self._error(event.error, event.secrets),
                }
                failed = event.status in (RunStatus.FAILED, RunStatus.CANCELLED)
                level = logging.ERROR if failed else logging.INFO
                text = f"run {event.run_id} {event.status.value} in {event.duration:.3f} s"
            case _:
                assert_never(event)
        return level, text, fields

    def __call__(self, event: Event) -> None:
        if isinstance(event, NodeReported) and not self.logger.isEnabledFor(logging.DEBUG):
            return  # tokens stream fast: do not even build their records
        level, text, fields = self.describe(event)
        if self.logger.isEnabledFor(level):
            self.logger.log(level, "%s", text, extra={"plait": fields})


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the ``plait`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        document: dict[str, object] = {
            "time": stamp.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "plait", None)
        if isinstance(fields, dict):
            document.update({key: value for key, value in fields.items() if value is not None})
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False)
