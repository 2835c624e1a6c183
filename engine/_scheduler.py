"""The dataflow scheduler: a node starts the moment its last input arrives.

There is no superstep barrier. When a node finishes, each dependent whose inputs are now
complete starts at once: the first in the same task (a chain costs no task switches), the
rest as new tasks of the run's one task group. A node that gives up cancels the run.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import anyio.to_thread

from plait.engine._events import (
    Event,
    EventListener,
    NodeCancelled,
    NodeFailed,
    NodeFinished,
    NodeRetrying,
    NodeStarted,
    RunFinished,
    RunStarted,
    RunStatus,
)
from plait.engine._options import RunOptions
from plait.engine._result import NodeStatus, RunResult
from plait.graphs import Graph, Step
from plait.nodes import (
    FunctionNode,
    InputError,
    NodeFailedError,
    NodeTimeoutError,
    RunCancelledError,
    RunContext,
    RunError,
    RunId,
    RunTimeoutError,
    check_value,
    type_name,
)

__all__ = ["Scheduler", "check_inputs"]

_MISSING: Any = object()
_YIELD_EVERY = 64
"""Inline continuations between forced checkpoints, so a long chain cannot hog the loop."""


def check_inputs(graph: Graph[object], inputs: Mapping[str, object], *, types: bool) -> None:
    """Check that ``inputs`` names exactly the graph's inputs, with fitting values.

    Raises:
        InputError: listing every missing, unknown or ill-typed input.
    """
    problems: list[str] = []
    for name, annotation in graph.inputs.items():
        if name not in inputs:
            problems.append(f"missing input `{name}` (expects `{type_name(annotation)}`)")
        elif types:
            why = check_value(annotation, inputs[name])
            if why is not None:
                problems.append(f"input `{name}` expects `{type_name(annotation)}`: {why}")
    for name in inputs:
        if name not in graph.inputs:
            known = ", ".join(f"`{known}`" for known in graph.inputs) or "none"
            problems.append(f"unknown input `{name}` (the graph's inputs: {known})")
    if problems:
        raise InputError(graph.name, problems)


class _GaveUp(Exception):
    """Internal: a node exhausted its attempts; carries the last error."""

    def __init__(self, error: BaseException, attempts: int) -> None:
        self.error = error
        self.attempts = attempts


class Scheduler:
    """Runs one graph once. Create one per run."""

    def __init__(
        self,
        graph: Graph[object],
        options: RunOptions,
        listeners: Sequence[EventListener],
    ) -> None:
        plan = graph.plan
        self.graph = graph
        self.plan = plan
        self.options = options
        self.run_id = RunId(options.run_id or options.id_factory())
        self.clock = options.clock
        self.random = random.Random(options.seed).random
        count = len(plan.steps)
        self.args: list[dict[str, object]] = [{} for _ in range(count)]
        self.pending = [step.required for step in plan.steps]
        self.values: list[object] = [_MISSING] * count
        self.attempts = [0] * count
        self.statuses = [NodeStatus.PENDING] * count
        self.errors: dict[int, BaseException] = {}
        self.failure: tuple[int, BaseException, int] | None = None
        self.listeners = tuple(listeners)
        self.listener_error: BaseException | None = None
        self.seq = 0
        self.limiter = (
            anyio.CapacityLimiter(options.max_concurrency) if options.max_concurrency else None
        )
        self.pools = {name: anyio.CapacityLimiter(size) for name, size in graph.pools.items()}
        self.scope: anyio.CancelScope | None = None
        self.cancel_requested = False
        self.task_group: anyio.abc.TaskGroup | None = None
        self.inline = 0

    def emit(self, make: Callable[..., Event], **fields: object) -> None:
        """Build an event and hand it to every listener, in order."""
        event = make(seq=self.seq, run_id=self.run_id, time=self.clock.now(), **fields)
        self.seq += 1
        for listener in self.listeners:
            try:
                listener(event)
            except Exception as error:  # a broken listener stops the run, not the process
                if self.listener_error is None:
                    self.listener_error = error
                    self.cancel()

    def cancel(self) -> None:
        """Cancel the run: in-flight nodes are cancelled and the result says so."""
        self.cancel_requested = True
        if self.scope is not None:
            self.scope.cancel()

    async def execute(self, inputs: Mapping[str, object]) -> RunResult[object]:
        """Run the graph to its end and return the result (cancellation propagates)."""
        graph, plan = self.graph, self.plan
        check_inputs(graph, inputs, types=self.options.validate_inputs)
        started = self.clock.now()
        if self.listeners:
            self.emit(RunStarted, graph=graph.name, content_hash=graph.content_hash, inputs=inputs)
        args = self.args
        for name, targets in plan.inputs:
            value = inputs[name]
            for target in targets:
                args[target.step][target.input] = (
                    value if target.getter is None else target.getter(value)
                )
        timeout = self.options.timeout if self.options.timeout is not None else graph.timeout
        deadline = anyio.current_time() + timeout if timeout is not None else float("inf")
        try:
            with anyio.CancelScope(deadline=deadline) as scope:
                self.scope = scope
                if self.cancel_requested:
                    scope.cancel()
                async with anyio.create_task_group() as task_group:
                    self.task_group = task_group
                    first, *rest = plan.roots or (None,)
                    for root in rest:
                        task_group.start_soon(self.run_step, root)
                    if first is not None:
                        await self.run_step(first)
        except BaseException as error:
            # Cancelled from outside (or interrupted): say so, then let it propagate.
            if self.listeners and not isinstance(error, Exception):
                cancelled = RunCancelledError(run_id=self.run_id, in_flight=self.cancelled())
                self.emit(
                    RunFinished,
                    status=RunStatus.CANCELLED,
                    duration=self.clock.now() - started,
                    error=cancelled,
                )
            raise
        if self.listener_error is not None:
            raise self.listener_error
        result = self.finish(scope, timeout, started)
        if self.listener_error is not None:  # a listener broke on RunFinished itself
            raise self.listener_error
        return result

    def cancelled(self) -> list[str]:
        steps = self.plan.steps
        return [
            steps[index].node.id
            for index, status in enumerate(self.statuses)
            if status is NodeStatus.CANCELLED
        ]

    def finish(
        self, scope: anyio.CancelScope, timeout: float | None, started: float
    ) -> RunResult[object]:
        plan = self.plan
        error: RunError | None = None
        output: object = _MISSING
        if self.failure is not None:
            index, cause, attempts = self.failure
            error = NodeFailedError(
                run_id=self.run_id, node=plan.steps[index].node.id, attempts=attempts, error=cause
            )
            error.__cause__ = cause
            status = RunStatus.FAILED
        elif self.cancel_requested:
            error = RunCancelledError(run_id=self.run_id, in_flight=self.cancelled())
            status = RunStatus.CANCELLED
        elif scope.cancelled_caught or self.values[plan.output_step] is _MISSING:
            error = RunTimeoutError(
                run_id=self.run_id, timeout=timeout or 0.0, in_flight=self.cancelled()
            )
            status = RunStatus.FAILED
        else:
            output = self.values[plan.output_step]
            if plan.output_getter is not None:
                output = plan.output_getter(output)
            status = RunStatus.SUCCEEDED
        if self.listeners:
            self.emit(RunFinished, status=status, duration=self.clock.now() - started, error=error)
        return RunResult(
            run_id=self.run_id,
            graph=self.graph.name,
            status=status,
            output=None if output is _MISSING else output,
            error=error,
            node_ids=[step.node.id for step in plan.steps],
            per_node=(self.statuses, self.attempts, self.values, self.errors),
        )

    async def run_step(self, index: int) -> None:
        """Run a step, then every dependent it completes (the first one inline)."""
        steps, pending, args = self.plan.steps, self.pending, self.args
        while True:
            step = steps[index]
            try:
                value = await self.attempts_of(step)
            except _GaveUp as gave_up:
                self.statuses[index] = NodeStatus.FAILED
                self.errors[index] = gave_up.error
                if self.listeners:
                    self.emit(
                        NodeFailed, node=step.node.id, attempt=gave_up.attempts, error=gave_up.error
                    )
                if self.failure is None:
                    self.failure = (index, gave_up.error, gave_up.attempts)
                    assert self.scope is not None
                    self.scope.cancel()
                return
            self.values[index] = value
            self.statuses[index] = NodeStatus.SUCCEEDED
            following = -1
            for target in step.targets:
                args[target.step][target.input] = (
                    value if target.getter is None else target.getter(value)
                )
                pending[target.step] -= 1
                if pending[target.step] == 0:
                    if following < 0:
                        following = target.step
                    else:
                        assert self.task_group is not None
                        self.task_group.start_soon(self.run_step, target.step)
            if following < 0:
                return
            index = following
            self.inline += 1
            if self.inline >= _YIELD_EVERY:
                self.inline = 0
                await anyio.lowlevel.checkpoint()

    async def attempts_of(self, step: Step) -> object:
        """Try a step until it succeeds or its retry policy gives up."""
        node = step.node
        index = step.index
        policy = step.retry
        attempt = 0
        while True:
            attempt += 1
            self.attempts[index] = attempt
            self.statuses[index] = NodeStatus.RUNNING
            listeners = self.listeners
            if listeners:
                began = self.clock.now()
                self.emit(NodeStarted, node=node.id, attempt=attempt)
            try:
                value = await self.attempt(step, attempt)
            except Exception as error:
                if attempt < policy.max_attempts and policy.retries(error):
                    delay = policy.delay(attempt, error, self.random())
                    if listeners:
                        self.emit(
                            NodeRetrying, node=node.id, attempt=attempt, delay=delay, error=error
                        )
                    try:
                        await self.clock.sleep(delay)
                    except BaseException:
                        self.node_cancelled(step, attempt)
                        raise
                    continue
                raise _GaveUp(error, attempt) from error
            except BaseException:
                self.node_cancelled(step, attempt)
                raise
            if listeners:
                self.emit(
                    NodeFinished,
                    node=node.id,
                    attempt=attempt,
                    duration=self.clock.now() - began,
                    output=value,
                )
            return value

    def node_cancelled(self, step: Step, attempt: int) -> None:
        self.statuses[step.index] = NodeStatus.CANCELLED
        if self.listeners:
            self.emit(NodeCancelled, node=step.node.id, attempt=attempt)

    async def attempt(self, step: Step, attempt: int) -> object:
        """One attempt of a step, under its limits and timeout."""
        pool = self.pools.get(step.node.pool) if step.node.pool is not None else None
        if self.limiter is None and pool is None:
            return await self.call(step, attempt)
        async with _Slots(self.limiter, pool):
            return await self.call(step, attempt)

    async def call(self, step: Step, attempt: int) -> object:
        if step.timeout is None:
            return await self.invoke(step, attempt)
        with anyio.CancelScope(deadline=anyio.current_time() + step.timeout) as scope:
            return await self.invoke(step, attempt)
        if scope.cancelled_caught:
            raise NodeTimeoutError(step.node.id, step.timeout)
        raise AssertionError("unreachable")  # pragma: no cover

    async def invoke(self, step: Step, attempt: int) -> object:
        node = step.node
        if not isinstance(node, FunctionNode):
            raise TypeError(f"node `{node.id}` of kind {node.kind!r} cannot run yet")
        kwargs = self.args[step.index]
        if node.context_parameter is not None:
            kwargs = dict(kwargs)
            kwargs[node.context_parameter] = RunContext(self.run_id, node.id, attempt)
        if node.is_async:
            result: object = await node.fn(**kwargs)  # type: ignore[misc]
            return result
        if not node.blocking:
            return node.fn(**kwargs)
        return await anyio.to_thread.run_sync(
            functools.partial(node.fn, **kwargs), abandon_on_cancel=True
        )


class _Slots:
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
