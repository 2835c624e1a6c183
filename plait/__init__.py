"""plait: a typed graph workflow engine for LLM agents.

Define typed nodes, wire them with ``GraphBuilder``, ``build()`` once (every wiring
mistake is reported together), and run with ``await graph.run(inputs)``.
"""

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
    Trace,
    TraceRecorder,
    run,
    run_sync,
    stream,
    trace,
    trace_sync,
)
from plait.graphs import Graph, GraphBuilder, NodeRef
from plait.nodes import (
    DefinitionError,
    FunctionNode,
    GraphDefinitionError,
    InputError,
    Node,
    NodeFailedError,
    NodeTimeoutError,
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

__all__ = [
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
    "NodeRef",
    "NodeStatus",
    "NodeTimeoutError",
    "PlaitError",
    "Problem",
    "Redaction",
    "RetryPolicy",
    "RunCancelledError",
    "RunContext",
    "RunError",
    "RunHandle",
    "RunOptions",
    "RunResult",
    "RunStatus",
    "RunTimeoutError",
    "Trace",
    "TraceRecorder",
    "__version__",
    "node",
    "run",
    "run_sync",
    "stream",
    "trace",
    "trace_sync",
]
