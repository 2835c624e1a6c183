"""How a graph runs: the dataflow scheduler, retries and timeouts, events and results."""

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
from plait.engine._memory_store import MemoryStore
from plait.engine._options import RunOptions, new_run_id
from plait.engine._postgres_store import PostgresStore
from plait.engine._result import NodeOutcome, NodeStatus, RunResult
from plait.engine._resume import fork, resume
from plait.engine._sqlite_store import SQLiteStore
from plait.engine._store import (
    SCHEMA_VERSION,
    CorruptRecordError,
    FailureRecord,
    InterruptRecord,
    OutputRecord,
    RunLockedError,
    RunRecord,
    Store,
    StoredStatus,
    StoreError,
)
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
