"""plait: a typed graph workflow engine for LLM agents.

Define typed nodes, wire them with ``GraphBuilder``, ``build()`` once (every wiring
mistake is reported together), and run with ``await graph.run(inputs)``.
"""

import importlib as _importlib
import typing as _typing

__version__ = "0.1.0"

if _typing.TYPE_CHECKING:
    from plait.engine import (
        Event,
        LeaseLostError,
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
    from plait.graphs import (
        Graph,
        GraphBuilder,
        NodeRef,
        Registry,
        SpecError,
        SpecLimits,
        dump,
        load,
    )
    from plait.nodes import (
        CachePolicy,
        CancelToken,
        DefinitionError,
        FunctionNode,
        GraphDefinitionError,
        InputError,
        Key,
        Node,
        NodeFailedError,
        NodeOutputError,
        NodeStillRunningError,
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
    from plait.testing._cassette import Cassette, CassetteMismatchError, with_cassette

_PUBLIC: dict[str, str] = {
    "CachePolicy": "plait.nodes",
    "Cassette": "plait.testing._cassette",
    "CassetteMismatchError": "plait.testing._cassette",
    "CancelToken": "plait.nodes",
    "DefinitionError": "plait.nodes",
    "Event": "plait.engine",
    "FunctionNode": "plait.nodes",
    "Graph": "plait.graphs",
    "GraphBuilder": "plait.graphs",
    "GraphDefinitionError": "plait.nodes",
    "InputError": "plait.nodes",
    "Key": "plait.nodes",
    "LeaseLostError": "plait.engine",
    "ManualClock": "plait.engine",
    "Node": "plait.nodes",
    "NodeFailedError": "plait.nodes",
    "NodeOutcome": "plait.engine",
    "NodeOutputError": "plait.nodes",
    "NondeterminismError": "plait.nodes",
    "NodeRef": "plait.graphs",
    "NodeStatus": "plait.engine",
    "NodeStillRunningError": "plait.nodes",
    "NodeTimeoutError": "plait.nodes",
    "PlaitError": "plait.nodes",
    "Problem": "plait.nodes",
    "Redaction": "plait.engine",
    "Registry": "plait.graphs",
    "RetryPolicy": "plait.nodes",
    "RunCancelledError": "plait.nodes",
    "RunContext": "plait.nodes",
    "RunError": "plait.nodes",
    "RunHandle": "plait.engine",
    "RunOptions": "plait.engine",
    "RunResult": "plait.engine",
    "RunStatus": "plait.engine",
    "RunTimeoutError": "plait.nodes",
    "SpecError": "plait.graphs",
    "SpecLimits": "plait.graphs",
    "StoreError": "plait.engine",
    "Trace": "plait.engine",
    "TraceRecorder": "plait.engine",
    "dump": "plait.graphs",
    "load": "plait.graphs",
    "node": "plait.nodes",
    "run": "plait.engine",
    "run_sync": "plait.engine",
    "stream": "plait.engine",
    "trace": "plait.engine",
    "trace_sync": "plait.engine",
    "with_cassette": "plait.testing._cassette",
}
"""The user API: each name and the module it is loaded from, on first use."""


# Classes, then functions with `__version__` in its sorted place (the front has no constants).
__all__ = sorted([*_PUBLIC, "__version__"], key=lambda name: (not name[:1].isupper(), name))


def __getattr__(name: str) -> object:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
