"""How a run ends: its output, the nodes it cancelled, and its result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import anyio

from plait.engine._durable import RunWaitingError
from plait.engine._events import RunFinished, RunStatus
from plait.engine._result import NodeStatus, RunResult
from plait.engine._step_values import MISSING, NoOutputError
from plait.nodes import JournalEntry, NodeFailedError, RunCancelledError, RunError, RunTimeoutError

if TYPE_CHECKING:
    from plait.engine._scheduler import Scheduler

__all__ = ["cancelled_nodes", "finish", "run_output"]


def run_output(scheduler: Scheduler) -> object:
    plan = scheduler.plan
    value = scheduler.values[plan.output_step]
    if value is MISSING:
        name = scheduler.names[plan.output_step]
        reason = scheduler.reasons[plan.output_step] or "it did not run"
        raise NoOutputError(
            f"run {scheduler.run_id} produced no output: output node `{name}` was skipped "
            f"({reason})",
            run_id=scheduler.run_id,
        )
    return value if plan.output_getter is None else plan.output_getter(value)


def cancelled_nodes(scheduler: Scheduler) -> list[str]:
    return [
        scheduler.names[index]
        for index, status in enumerate(scheduler.statuses)
        if status is NodeStatus.CANCELLED
    ]


def finish(
    scheduler: Scheduler, scope: anyio.CancelScope | None, timeout: float | None, started: float
) -> RunResult[object]:
    plan = scheduler.plan
    error: RunError | None = None
    output: object = MISSING
    if scheduler.failure is not None:
        index, cause, attempts = scheduler.failure
        error = NodeFailedError(
            run_id=scheduler.run_id, node=scheduler.names[index], attempts=attempts, error=cause
        )
        error.__cause__ = cause
        status = RunStatus.FAILED
    elif scheduler.cancel_requested:
        error = RunCancelledError(run_id=scheduler.run_id, in_flight=cancelled_nodes(scheduler))
        status = RunStatus.CANCELLED
    elif scheduler.questions:
        error = RunWaitingError(run_id=scheduler.run_id, questions=scheduler.questions)
        status = RunStatus.WAITING
    elif scope is not None and scope.cancelled_caught:
        error = RunTimeoutError(
            run_id=scheduler.run_id, timeout=timeout or 0.0, in_flight=cancelled_nodes(scheduler)
        )
        status = RunStatus.FAILED
    else:
        try:
            output = run_output(scheduler)
            status = RunStatus.SUCCEEDED
        except NoOutputError as missing:
            error = missing
            status = RunStatus.FAILED
    if scheduler.listeners:
        scheduler.emit(
            RunFinished, status=status, duration=scheduler.clock.now() - started, error=error
        )
    calls: Mapping[tuple[str, int], JournalEntry] = {}
    if scheduler.checkpoint is not None:
        calls = scheduler.checkpoint.calls
    elif scheduler.memory_journal is not None:
        calls = scheduler.memory_journal.entries
    return RunResult(
        run_id=scheduler.run_id,
        graph=scheduler.graph.name,
        status=status,
        output=None if output is MISSING else output,
        error=error,
        node_ids=[step.node.id for step in plan.steps],
        per_node=(scheduler.statuses, scheduler.attempts, scheduler.values, scheduler.errors),
        calls=tuple(calls.values()),
        cached=frozenset(scheduler.cached),
    )
