"""The trace of a stored run, rebuilt from what its checkpoints keep.

Checkpoints keep each committed output, every failed attempt and every question, so the
rebuilt trace has statuses, attempts and errors, inputs and outputs. Routing decisions,
skip reasons and reported LLM/tool calls live only in a live run's events: a stored run's
trace leaves them out (``plait run --trace FILE`` keeps them).
"""

from __future__ import annotations

from plait.engine._durable import Checkpointer
from plait.engine._events import (
    NodeFailed,
    NodeFinished,
    NodeRetrying,
    NodeStarted,
    NodeWaiting,
    RunFinished,
    RunStarted,
    RunStatus,
)
from plait.engine.stores._protocol import Store, StoredStatus
from plait.engine.traces._recorder import TraceRecorder
from plait.engine.traces._trace import Trace
from plait.engine.traces._values import Redaction
from plait.graphs import Graph
from plait.nodes import RunError

__all__ = ["stored_trace"]


class _StoredError(Exception):
    """A failure as the store recorded it: its class name and message, nothing more."""


def _error(kind: str, message: str) -> Exception:
    # A new class that only carries the stored name: nothing is looked up or imported.
    made: Exception = type(kind, (_StoredError,), {"__module__": "stored"})(message)
    return made


async def stored_trace(
    graph: Graph[object], run_id: str, store: Store, *, redaction: Redaction | None = None
) -> Trace:
    """The trace of run ``run_id`` from its checkpoints (see the module docstring).

    Raises:
        RunError: when the run is not in the store.
        CorruptRecordError: when a stored output fails its checksum or decoding.
    """
    stored = await store.load(run_id)
    if stored is None:
        raise RunError(f"run {run_id} is not in the store", run_id=run_id)
    record = stored.run
    reader = Checkpointer(store, graph, run_id, "sync", lambda: 0.0, 1.0)
    inputs = reader.decode_inputs(record.inputs)
    outputs = reader.decode_outputs(stored.outputs)
    attempts = {name: item.attempt for name, item in stored.outputs.items()}
    failures: dict[str, list[tuple[int, Exception]]] = {}
    for failure in stored.failures:
        failures.setdefault(failure.node, []).append(
            (failure.attempt, _error(failure.error_type, failure.message))
        )
    questions = {item.node: item for item in stored.interrupts}
    recorder = TraceRecorder(graph, redaction=redaction)
    seq = iter(range(1_000_000))

    def emit(make: type, **fields: object) -> None:
        recorder(make(seq=next(seq), run_id=run_id, time=0.0, **fields))

    emit(RunStarted, graph=graph.name, content_hash=record.content_hash, inputs=inputs)
    final = {
        StoredStatus.SUCCEEDED: RunStatus.SUCCEEDED,
        StoredStatus.FAILED: RunStatus.FAILED,
        StoredStatus.CANCELLED: RunStatus.CANCELLED,
        StoredStatus.WAITING: RunStatus.WAITING,
        StoredStatus.RUNNING: RunStatus.CANCELLED,
    }[record.status]
    for step in graph.plan.steps:
        name = step.node.id
        failed = failures.get(name, [])
        for attempt, error in failed:
            emit(NodeStarted, node=name, attempt=attempt)
            succeeded_later = name in outputs or attempt < max(a for a, _ in failed)
            if succeeded_later:
                emit(NodeRetrying, node=name, attempt=attempt, delay=0.0, error=error)
            else:
                emit(NodeFailed, node=name, attempt=attempt, error=error)
        if name in outputs:
            attempt = attempts.get(name, 1)
            emit(NodeStarted, node=name, attempt=attempt)
            emit(NodeFinished, node=name, attempt=attempt, duration=0.0, output=outputs[name])
        elif name in questions and questions[name].answer is None:
            emit(NodeStarted, node=name, attempt=1)
            emit(NodeWaiting, node=name, question=questions[name].question)
    ended = None if record.error is None else _error("RunError", record.error)
    emit(RunFinished, status=final, duration=0.0, error=ended)
    return recorder.trace()
