"""How a graph runs: the dataflow scheduler, retries and timeouts, events and results."""

from plait.engine._api import RunHandle, run, run_sync, stream
from plait.engine._clock import Clock, ManualClock, SystemClock
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
    RunFinished,
    RunStarted,
    RunStatus,
)
from plait.engine._options import RunOptions, new_run_id
from plait.engine._result import NodeOutcome, NodeStatus, RunResult

__all__ = [
    "Clock",
    "Event",
    "EventListener",
    "ManualClock",
    "NodeCancelled",
    "NodeFailed",
    "NodeFinished",
    "NodeOutcome",
    "NodeReported",
    "NodeRetrying",
    "NodeRouted",
    "NodeSkipped",
    "NodeStarted",
    "NodeStatus",
    "RunFinished",
    "RunHandle",
    "RunOptions",
    "RunResult",
    "RunStarted",
    "RunStatus",
    "SystemClock",
    "new_run_id",
    "run",
    "run_sync",
    "stream",
]
