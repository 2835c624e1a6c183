"""How a graph runs: the dataflow scheduler, retries and timeouts, events and results."""

import importlib as _importlib
import typing as _typing

from plait.engine._api import RunHandle, run, run_sync, stream
from plait.engine._clock import Clock, ManualClock, SystemClock
from plait.engine._durable import Durability, GraphChangedError, Question, RunWaitingError
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
from plait.engine._options import RunOptions, new_run_id
from plait.engine._result import NodeOutcome, NodeStatus, RunResult
from plait.engine._store import (
    SCHEMA_VERSION,
    CorruptRecordError,
    FailureRecord,
    InterruptRecord,
    OutputRecord,
    RunLockedError,
    RunRecord,
    Store,
    StoredRun,
    StoredStatus,
    StoreError,
)

if _typing.TYPE_CHECKING:
    from plait.engine._memory_store import MemoryStore
    from plait.engine._postgres_store import PostgresStore
    from plait.engine._resume import fork, resume
    from plait.engine._sqlite_store import SQLiteStore
    from plait.engine._store_url import STORE_URL_FORMS, open_store
    from plait.engine._trace import (
        TRACE_VERSION,
        FailedAttempt,
        NodeTrace,
        RouteDecision,
        Trace,
        TracedCall,
        TracedError,
    )
    from plait.engine._trace_diff import TraceChange, TraceDiff, diff
    from plait.engine._trace_recorder import TraceRecorder, trace, trace_sync
    from plait.engine._trace_values import DEFAULT_REDACTED_KEYS, Redaction

_LAZY: dict[str, str] = {
    "DEFAULT_REDACTED_KEYS": "plait.engine._trace_values",
    "FailedAttempt": "plait.engine._trace",
    "MemoryStore": "plait.engine._memory_store",
    "NodeTrace": "plait.engine._trace",
    "PostgresStore": "plait.engine._postgres_store",
    "Redaction": "plait.engine._trace_values",
    "RouteDecision": "plait.engine._trace",
    "SQLiteStore": "plait.engine._sqlite_store",
    "STORE_URL_FORMS": "plait.engine._store_url",
    "TRACE_VERSION": "plait.engine._trace",
    "Trace": "plait.engine._trace",
    "TraceChange": "plait.engine._trace_diff",
    "TraceDiff": "plait.engine._trace_diff",
    "TraceRecorder": "plait.engine._trace_recorder",
    "TracedCall": "plait.engine._trace",
    "TracedError": "plait.engine._trace",
    "diff": "plait.engine._trace_diff",
    "fork": "plait.engine._resume",
    "open_store": "plait.engine._store_url",
    "resume": "plait.engine._resume",
    "trace": "plait.engine._trace_recorder",
    "trace_sync": "plait.engine._trace_recorder",
}
"""Loaded on first use: stores, resume/fork and traces cost imports plain runs never need."""


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "DEFAULT_REDACTED_KEYS",
    "SCHEMA_VERSION",
    "STORE_URL_FORMS",
    "TRACE_VERSION",
    "Clock",
    "CorruptRecordError",
    "Durability",
    "Event",
    "EventListener",
    "FailedAttempt",
    "FailureRecord",
    "GraphChangedError",
    "InterruptRecord",
    "ManualClock",
    "MemoryStore",
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
    "NodeTrace",
    "NodeWaiting",
    "OutputRecord",
    "PostgresStore",
    "Question",
    "Redaction",
    "RouteDecision",
    "RunFinished",
    "RunHandle",
    "RunLockedError",
    "RunOptions",
    "RunRecord",
    "RunResult",
    "RunStarted",
    "RunStatus",
    "RunWaitingError",
    "SQLiteStore",
    "Store",
    "StoreError",
    "StoredRun",
    "StoredStatus",
    "SystemClock",
    "Trace",
    "TraceChange",
    "TraceDiff",
    "TraceRecorder",
    "TracedCall",
    "TracedError",
    "diff",
    "fork",
    "new_run_id",
    "open_store",
    "resume",
    "run",
    "run_sync",
    "stream",
    "trace",
    "trace_sync",
]
