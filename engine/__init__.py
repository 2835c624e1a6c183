"""How a graph runs: the dataflow scheduler, retries and timeouts, events and results."""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from plait.engine._api import RunHandle, run, run_sync, stream
    from plait.engine._clock import Clock, ManualClock, SystemClock
    from plait.engine._durable import Durability, Question, RunWaitingError
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
    from plait.engine._graph_change import GraphChangedError
    from plait.engine._mcp import graph_mcp
    from plait.engine._options import RunOptions, new_run_id
    from plait.engine._result import NodeOutcome, NodeStatus, RunResult
    from plait.engine._resume import fork, resume
    from plait.engine._secrets import run_secrets
    from plait.engine._takeover import live_holder, shown_statuses
    from plait.engine.cache._keys import uses_cache
    from plait.engine.cache._memory import MemoryCache
    from plait.engine.cache._postgres import PostgresCache
    from plait.engine.cache._protocol import CacheEntry, ResultCache
    from plait.engine.cache._redis import RedisCache
    from plait.engine.cache._sqlite import SQLiteCache
    from plait.engine.cache._url import open_cache
    from plait.engine.stores._memory import MemoryStore
    from plait.engine.stores._postgres import PostgresStore
    from plait.engine.stores._protocol import (
        SCHEMA_VERSION,
        CorruptRecordError,
        FailureRecord,
        InterruptRecord,
        JournalRecord,
        Lease,
        LeaseLostError,
        OutputRecord,
        RunLockedError,
        RunRecord,
        SharedRecord,
        Store,
        StoredRun,
        StoredStatus,
        StoreError,
        ThreadRecord,
    )
    from plait.engine.stores._redis import RedisStore
    from plait.engine.stores._sqlite import SQLiteStore
    from plait.engine.stores._url import STORE_URL_FORMS, open_store
    from plait.engine.traces._diff import TraceChange, TraceDiff, diff
    from plait.engine.traces._recorder import TraceRecorder, trace, trace_sync
    from plait.engine.traces._stored import stored_trace
    from plait.engine.traces._trace import (
        TRACE_VERSION,
        FailedAttempt,
        NodeTrace,
        RouteDecision,
        Trace,
        TracedCall,
        TracedError,
    )
    from plait.engine.traces._values import DEFAULT_REDACTED_KEYS, Canonicaliser, Redaction

_PUBLIC: dict[str, str] = {
    "DEFAULT_REDACTED_KEYS": "plait.engine.traces._values",
    "SCHEMA_VERSION": "plait.engine.stores._protocol",
    "STORE_URL_FORMS": "plait.engine.stores._url",
    "TRACE_VERSION": "plait.engine.traces._trace",
    "CacheEntry": "plait.engine.cache._protocol",
    "Clock": "plait.engine._clock",
    "CorruptRecordError": "plait.engine.stores._protocol",
    "Durability": "plait.engine._durable",
    "Event": "plait.engine._events",
    "EventListener": "plait.engine._events",
    "FailedAttempt": "plait.engine.traces._trace",
    "FailureRecord": "plait.engine.stores._protocol",
    "GraphChangedError": "plait.engine._graph_change",
    "InterruptRecord": "plait.engine.stores._protocol",
    "JournalRecord": "plait.engine.stores._protocol",
    "Lease": "plait.engine.stores._protocol",
    "LeaseLostError": "plait.engine.stores._protocol",
    "ManualClock": "plait.engine._clock",
    "MemoryCache": "plait.engine.cache._memory",
    "MemoryStore": "plait.engine.stores._memory",
    "NodeCancelled": "plait.engine._events",
    "NodeFailed": "plait.engine._events",
    "NodeFinished": "plait.engine._events",
    "NodeOutcome": "plait.engine._result",
    "NodeReported": "plait.engine._events",
    "NodeRetrying": "plait.engine._events",
    "NodeRouted": "plait.engine._events",
    "NodeSkipped": "plait.engine._events",
    "NodeStarted": "plait.engine._events",
    "NodeStatus": "plait.engine._result",
    "NodeTrace": "plait.engine.traces._trace",
    "NodeWaiting": "plait.engine._events",
    "OutputRecord": "plait.engine.stores._protocol",
    "PostgresCache": "plait.engine.cache._postgres",
    "PostgresStore": "plait.engine.stores._postgres",
    "Question": "plait.engine._durable",
    "Redaction": "plait.engine.traces._values",
    "RedisCache": "plait.engine.cache._redis",
    "RedisStore": "plait.engine.stores._redis",
    "ResultCache": "plait.engine.cache._protocol",
    "RouteDecision": "plait.engine.traces._trace",
    "RunFinished": "plait.engine._events",
    "RunHandle": "plait.engine._api",
    "RunLockedError": "plait.engine.stores._protocol",
    "RunOptions": "plait.engine._options",
    "RunRecord": "plait.engine.stores._protocol",
    "RunResult": "plait.engine._result",
    "RunStarted": "plait.engine._events",
    "RunStatus": "plait.engine._events",
    "RunWaitingError": "plait.engine._durable",
    "SQLiteCache": "plait.engine.cache._sqlite",
    "SQLiteStore": "plait.engine.stores._sqlite",
    "SharedRecord": "plait.engine.stores._protocol",
    "Store": "plait.engine.stores._protocol",
    "StoreError": "plait.engine.stores._protocol",
    "StoredRun": "plait.engine.stores._protocol",
    "StoredStatus": "plait.engine.stores._protocol",
    "SystemClock": "plait.engine._clock",
    "ThreadRecord": "plait.engine.stores._protocol",
    "Trace": "plait.engine.traces._trace",
    "TraceChange": "plait.engine.traces._diff",
    "TraceDiff": "plait.engine.traces._diff",
    "TraceRecorder": "plait.engine.traces._recorder",
    "TracedCall": "plait.engine.traces._trace",
    "TracedError": "plait.engine.traces._trace",
    "diff": "plait.engine.traces._diff",
    "fork": "plait.engine._resume",
    "live_holder": "plait.engine._takeover",
    "new_run_id": "plait.engine._options",
    "open_cache": "plait.engine.cache._url",
    "open_store": "plait.engine.stores._url",
    "resume": "plait.engine._resume",
    "run": "plait.engine._api",
    "run_sync": "plait.engine._api",
    "shown_statuses": "plait.engine._takeover",
    "stream": "plait.engine._api",
    "trace": "plait.engine.traces._recorder",
    "trace_sync": "plait.engine.traces._recorder",
}
"""The user API: each name and the module it is loaded from, on first use."""

_INTERNAL: dict[str, str] = {
    "Canonicaliser": "plait.engine.traces._values",
    "graph_mcp": "plait.engine._mcp",
    "run_secrets": "plait.engine._secrets",
    "uses_cache": "plait.engine.cache._keys",
    "stored_trace": "plait.engine.traces._stored",
}
"""What the front's CLI and cassettes need: importable from here, not part of `__all__`."""


__all__ = list(_PUBLIC)


def __getattr__(name: str) -> object:
    module = _PUBLIC.get(name) or _INTERNAL.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC, *_INTERNAL})
