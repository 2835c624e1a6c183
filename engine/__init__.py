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
from plait.engine.stores._protocol import (
    SCHEMA_VERSION,
    CorruptRecordError,
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    OutputRecord,
    RunLockedError,
    RunRecord,
    Store,
    StoredRun,
    StoredStatus,
    StoreError,
)

if _typing.TYPE_CHECKING:
    from plait.engine._resume import fork, resume
    from plait.engine.stores._memory import MemoryStore
    from plait.engine.stores._postgres import PostgresStore
    from plait.engine.stores._sqlite import SQLiteStore
    from plait.engine.stores._url import STORE_URL_FORMS, open_store
    from plait.engine.traces._diff import TraceChange, TraceDiff, diff
    from plait.engine.traces._recorder import TraceRecorder, trace, trace_sync
    from plait.engine.traces._trace import (
        TRACE_VERSION,
        FailedAttempt,
        NodeTrace,
        RouteDecision,
        Trace,
        TracedCall,
        TracedError,
    )
    from plait.engine.traces._values import DEFAULT_REDACTED_KEYS, Redaction

_LAZY: dict[str, str] = {
    "DEFAULT_REDACTED_KEYS": "plait.engine.traces._values",
    "FailedAttempt": "plait.engine.traces._trace",
    "MemoryStore": "plait.engine.stores._memory",
    "NodeTrace": "plait.engine.traces._trace",
    "PostgresStore": "plait.engine.stores._postgres",
    "Redaction": "plait.engine.traces._values",
    "RouteDecision": "plait.engine.traces._trace",
    "SQLiteStore": "plait.engine.stores._sqlite",
    "STORE_URL_FORMS": "plait.engine.stores._url",
    "TRACE_VERSION": "plait.engine.traces._trace",
    "Trace": "plait.engine.traces._trace",
    "TraceChange": "plait.engine.traces._diff",
    "TraceDiff": "plait.engine.traces._diff",
    "TraceRecorder": "plait.engine.traces._recorder",
    "TracedCall": "plait.engine.traces._trace",
    "TracedError": "plait.engine.traces._trace",
    "diff": "plait.engine.traces._diff",
    "fork": "plait.engine._resume",
    "open_store": "plait.engine.stores._url",
    "resume": "plait.engine._resume",
    "trace": "plait.engine.traces._recorder",
    "trace_sync": "plait.engine.traces._recorder",
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
    "JournalRecord",
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
