"""Sync function nodes: a worker thread awaited past its timeout, never overlapping a retry.

A thread cannot be stopped from outside. When an attempt times out (or the run is
cancelled), its ``CancelToken`` is set and the thread is awaited for the node's grace
period: if it ends, the attempt fails with ``NodeTimeoutError`` and may be retried; if it
still runs, the node fails with ``NodeStillRunningError``, which is never retried, so two
attempts of one node never run at once (ADR 018).
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from plait.engine._invoke import context
from plait.engine._isolated import call_in_process
from plait.graphs import Step
from plait.nodes import CancelToken, FunctionNode, NodeStillRunningError, NodeTimeoutError

if TYPE_CHECKING:
    from plait.engine._scheduler import Scheduler

__all__ = ["call_sync", "runs_in_thread"]


def runs_in_thread(step: Step) -> bool:
    """Whether ``step`` is a sync function node that runs outside the event loop."""
    node = step.node
    return isinstance(node, FunctionNode) and not node.is_async and node.blocking


async def call_sync(scheduler: Scheduler, step: Step, attempt: int) -> object:
    """One attempt of a sync function node under its timeout.

    Raises:
        NodeTimeoutError: when the attempt overran its timeout and then stopped.
        NodeStillRunningError: when its thread still ran after the grace period.
    """
    node = step.node
    assert isinstance(node, FunctionNode)
    name = scheduler.names[step.index]
    kwargs = dict(scheduler.args[step.index])
    if node.context_parameter is not None:
        kwargs[node.context_parameter] = context(scheduler, step, attempt)
    token = CancelToken()
    if node.cancel_parameter is not None:
        kwargs[node.cancel_parameter] = token
    if node.isolation == "process":
        return await call_in_process(node, name, kwargs, step.timeout)
    done = threading.Event()

    def body() -> object:
        try:
            return node.fn(**kwargs)
        finally:
            done.set()

    timeout = step.timeout
    deadline = math.inf if timeout is None else anyio.current_time() + timeout
    stopped = True
    with anyio.CancelScope(deadline=deadline):
        try:
            return await anyio.to_thread.run_sync(body, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():  # timed out, or the run is cancelled
            token.cancel()
            stopped = await _stopped(done, node.grace)
            raise
    assert timeout is not None  # only the deadline's own cancellation is caught
    if not stopped:
        raise NodeStillRunningError(name, timeout, node.grace)
    raise NodeTimeoutError(name, timeout)


async def _stopped(done: threading.Event, grace: float) -> bool:
    """Wait up to ``grace`` seconds for the thread to end, even while cancelled."""
    if done.is_set():
        return True
    with anyio.CancelScope(shield=True):
        finished: bool = await anyio.to_thread.run_sync(done.wait, grace)
    return finished
