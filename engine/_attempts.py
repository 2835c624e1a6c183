"""The retry loop: a step's attempts, the waits between them, and each attempt's timeout."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from plait.engine._events import NodeCancelled, NodeFinished, NodeRetrying, NodeStarted
from plait.engine._flow import route_labels
from plait.engine._invoke import invoke
from plait.engine._outputs import checked_output, is_wrong_output
from plait.engine._result import NodeStatus
from plait.engine._step_values import WAITING, GaveUp, JoinUnsatisfiedError, RouteError
from plait.engine._sync_calls import call_sync, runs_in_thread
from plait.engine.executors._protocol import RemoteImportError
from plait.graphs import Step
from plait.nodes import NodeStillRunningError, NodeTimeoutError

if TYPE_CHECKING:
    from plait.engine._scheduler import Scheduler

__all__ = ["Slots", "attempts_of", "call", "node_cancelled", "one_attempt"]


async def attempts_of(scheduler: Scheduler, step: Step) -> object:
    """Try a step until it succeeds or its retry policy gives up."""
    index = step.index
    name = scheduler.names[index]
    cached = None
    if step.node.cache is not None and scheduler.options.cache is not None:
        from plait.engine.cache._lookup import Lookup

        cached = await Lookup.of(scheduler, step)
        if cached is not None and cached.hit:
            return cached.value
    policy = step.retry
    attempt = 0
    while True:
        attempt += 1
        scheduler.attempts[index] = attempt
        scheduler.statuses[index] = NodeStatus.RUNNING
        listeners = scheduler.listeners
        try:
            value, began = await one_attempt(scheduler, step, attempt)
            if value is not WAITING:  # an agent waiting for a person has no value yet
                if step.routes is not None:
                    route_labels(scheduler, step, value)
                value = checked_output(scheduler.run_id, name, step.node, value)
                if scheduler.checkpoint is not None:
                    scheduler.checkpoint.stage(name, step.node.output, value)
        except Exception as error:
            if scheduler.checkpoint is not None:
                await scheduler.checkpoint.failed(name, attempt, error)
            final = isinstance(error, RouteError | JoinUnsatisfiedError)
            final = final or is_wrong_output(error) or isinstance(error, NodeStillRunningError)
            final = final or isinstance(error, RemoteImportError)  # the same code, the same miss
            if not final and attempt < policy.max_attempts and policy.retries(error):
                delay = policy.delay(attempt, error, scheduler.jitter())
                if listeners:
                    scheduler.emit(
                        NodeRetrying, node=name, attempt=attempt, delay=delay, error=error
                    )
                try:
                    await scheduler.clock.sleep(delay)
                except BaseException:
                    node_cancelled(scheduler, step, attempt)
                    raise
                continue
            raise GaveUp(error, attempt) from error
        except BaseException:
            node_cancelled(scheduler, step, attempt)
            raise
        if listeners and value is not WAITING:
            scheduler.emit(
                NodeFinished,
                node=name,
                attempt=attempt,
                duration=scheduler.clock.now() - began,
                output=value,
            )
        if cached is not None and value is not WAITING:
            await cached.keep(value)
        return value


def node_cancelled(scheduler: Scheduler, step: Step, attempt: int) -> None:
    scheduler.statuses[step.index] = NodeStatus.CANCELLED
    if scheduler.listeners:
        scheduler.emit(NodeCancelled, node=scheduler.names[step.index], attempt=attempt)


async def one_attempt(scheduler: Scheduler, step: Step, attempt: int) -> tuple[object, float]:
    """One attempt of a step, under its limits and timeout: its value and when it began."""
    pool = scheduler.pools.get(step.node.pool) if step.node.pool is not None else None
    if scheduler.limiter is None and pool is None:
        began = started(scheduler, step, attempt)
        return await call(scheduler, step, attempt), began
    async with Slots(scheduler.limiter, pool):
        began = started(scheduler, step, attempt)
        return await call(scheduler, step, attempt), began


def started(scheduler: Scheduler, step: Step, attempt: int) -> float:
    """Announce an attempt once it holds its slots (a queued node is not running yet)."""
    if not scheduler.listeners:
        return 0.0
    scheduler.emit(NodeStarted, node=scheduler.names[step.index], attempt=attempt)
    return scheduler.clock.now()


async def call(scheduler: Scheduler, step: Step, attempt: int) -> object:
    placed = scheduler.placed is not None and scheduler.placed[step.index] is not None
    if runs_in_thread(step) and not placed:  # its own timeout: a thread is awaited
        return await call_sync(scheduler, step, attempt)
    if step.timeout is None:
        return await invoke(scheduler, step, attempt)
    with anyio.CancelScope(deadline=anyio.current_time() + step.timeout) as scope:
        return await invoke(scheduler, step, attempt)
    if scope.cancelled_caught:
        raise NodeTimeoutError(scheduler.names[step.index], step.timeout)
    raise AssertionError("unreachable")  # pragma: no cover


class Slots:
    """Acquire the run-wide slot, then the pool's; release in reverse."""

    __slots__ = ("limiters",)

    def __init__(self, *limiters: anyio.CapacityLimiter | None) -> None:
        self.limiters = [limiter for limiter in limiters if limiter is not None]

    async def __aenter__(self) -> None:
        acquired: list[anyio.CapacityLimiter] = []
        try:
            for limiter in self.limiters:
                await limiter.acquire()
                acquired.append(limiter)
        except BaseException:
            for limiter in reversed(acquired):
                limiter.release()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        for limiter in reversed(self.limiters):
            limiter.release()
