"""A direct step's one call, announced to the run's listeners.

A direct step (an async function with one attempt and no timeout, pool, route or join)
needs no retry loop, in a run with a store too: ``direct_value`` stages its output for the
commit and ``direct_failed`` records a failure, as ``attempts_of`` does. Without listeners
the scheduler awaits it bare; with them this runs it the same way between its
``NodeStarted`` and ``NodeFinished``, so that watching a run does not push every node onto
the retry loop's slower path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from plait.engine._events import NodeCancelled, NodeFinished, NodeStarted
from plait.engine._outputs import checked_output
from plait.engine._result import NodeStatus
from plait.engine._step_values import GaveUp
from plait.graphs import Step

if TYPE_CHECKING:
    from plait.engine._scheduler import Scheduler

__all__ = ["direct_failed", "direct_value", "observed_direct"]


async def observed_direct(scheduler: Scheduler, step: Step) -> object:
    """Call a direct step once, emitting what ``attempts_of`` would for one attempt."""
    index = step.index
    name = scheduler.names[index]
    scheduler.attempts[index] = 1
    scheduler.statuses[index] = NodeStatus.RUNNING
    scheduler.emit(NodeStarted, node=name, attempt=1)
    clock = scheduler.clock
    began = clock.now()
    try:
        value = await step.node.fn(**scheduler.args[index])  # type: ignore[attr-defined]
        value = direct_value(scheduler, step, value)
    except Exception as error:
        raise await direct_failed(scheduler, step, error) from error
    except BaseException:
        scheduler.statuses[index] = NodeStatus.CANCELLED
        scheduler.emit(NodeCancelled, node=name, attempt=1)
        raise
    scheduler.emit(NodeFinished, node=name, attempt=1, duration=clock.now() - began, output=value)
    return value


def direct_value(scheduler: Scheduler, step: Step, value: object) -> object:
    """A direct step's value, checked against its node's type and staged for its commit.

    Raises:
        NodeOutputError: when the value is not of the node's type, or cannot be stored.
    """
    name = scheduler.names[step.index]
    value = checked_output(scheduler.run_id, name, step.node, value)
    if scheduler.checkpoint is not None:
        scheduler.checkpoint.stage(name, step.node.output, value)
    return value


async def direct_failed(scheduler: Scheduler, step: Step, error: Exception) -> GaveUp:
    """A direct step failed: record the failure in the store (when the run has one) and
    return what the scheduler raises."""
    if scheduler.checkpoint is not None:
        await scheduler.checkpoint.failed(scheduler.names[step.index], 1, error)
    return GaveUp(error, 1)
