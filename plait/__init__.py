"""plait: a typed graph workflow engine for LLM agents.

Define typed nodes, wire them with ``GraphBuilder``, ``build()`` once (every wiring
mistake is reported together), and run with ``await graph.run(inputs)``.
"""

import importlib as _importlib
import typing as _typing

from plait.engine import (
    Event,
    ManualClock,
    NodeOutcome,
    NodeStatus,
    Redaction,
    RunHandle,
    RunOptions,
    RunResult,
    RunStatus,
    StoreError,
    Trace,
    TraceRecorder,
    run,
    run_sync,
    stream,
    trace,
    trace_sync,
)
from plait.graphs import Graph, GraphBuilder, NodeRef, Registry, SpecError, SpecLimits, dump, load
from plait.nodes import (
    DefinitionError,
    FunctionNode,
    GraphDefinitionError,
    InputError,
    Node,
    NodeFailedError,
    NodeOutputError,
    NodeTimeoutError,
    NondeterminismError,
    PlaitError,
    Problem,
    RetryPolicy,
    RunCancelledError,
    RunContext,
    RunError,
    RunTimeoutError,
    node,
)

__version__ = "0.1.0"

if _typing.TYPE_CHECKING:
    from plait.testing._cassette import Cassette, CassetteMismatchError, with_cassette

_LAZY: dict[str, str] = {
    "Cassette": "plait.testing._cassette",
    "CassetteMismatchError": "plait.testing._cassette",
    "with_cassette": "plait.testing._cassette",
}
"""Names loaded on first use (cassettes pull in the LLM side of plait.nodes)."""


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
    "Cassette",
    "CassetteMismatchError",
    "DefinitionError",
    "Event",
    "FunctionNode",
    "Graph",
    "GraphBuilder",
    "GraphDefinitionError",
    "InputError",
    "ManualClock",
    "Node",
    "NodeFailedError",
    "NodeOutcome",
    "NodeOutputError",
    "NodeRef",
    "NodeStatus",
    "NodeTimeoutError",
    "NondeterminismError",
    "PlaitError",
    "Problem",
    "Redaction",
    "Registry",
    "RetryPolicy",
    "RunCancelledError",
    "RunContext",
    "RunError",
    "RunHandle",
    "RunOptions",
    "RunResult",
    "RunStatus",
    "RunTimeoutError",
    "SpecError",
    "SpecLimits",
    "StoreError",
    "Trace",
    "TraceRecorder",
    "__version__",
    "dump",
    "load",
    "node",
    "run",
    "run_sync",
    "stream",
    "trace",
    "trace_sync",
    "with_cassette",
]
