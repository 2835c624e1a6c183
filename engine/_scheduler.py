"""The dataflow scheduler: a node starts the moment its last input arrives.

There is no superstep barrier. When a node finishes, each dependent whose inputs are now
complete starts at once: the first in the same task (a chain costs no task switches), the
rest as new tasks of the run's one task group. A node that gives up cancels the run.

What does not run is *skipped*, and skipping flows downstream: a node behind an untaken
route, or one whose required input comes from a skipped node, is skipped in turn. Joins
decide by policy when they have enough; a ``first`` or ``k_of_n`` join cancels the
branches it no longer needs.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import anyio
import anyio.abc
import anyio.lowlevel
import anyio.to_thread

from plait.engine._composite import run_loop, run_map, run_subgraph
from plait.engine._durable import Checkpointer, Question, RunWaitingError, idempotency_key
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
from plait.engine._journal import run_journal
from plait.engine._options import RunOptions
from plait.engine._outputs import checked_output, is_wrong_output
from plait.engine._result import NodeStatus, RunResult
from plait.graphs import (
    BranchFailure,
    Graph,
    HumanNode,
    JoinNode,
    LoopNode,
    MapNode,
    Step,
    SubgraphNode,
    Target,
)
from plait.nodes import (
    FunctionNode,
    InputError,
    NodeFailedError,
    NodeTimeoutError,
    PlaitError,
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
_WAITING: Any = object()
_YIELD_EVERY = 64
"""Inline continuations between forced checkpoints, so a long chain cannot hog the loop."""


class RouteError(PlaitError):
    """A router returned a label it did not declare."""


class JoinUnsatisfiedError(PlaitError):
    """A ``k_of_n`` join could not get ``k`` values."""


class NoOutputError(RunError):
    """The run ended without its output: the output node was skipped."""


@dataclass(frozen=True, slots=True)
class _Absent:
    """What reaches an input whose source did not produce a value."""

    reason: str
    failure: BranchFailure | None = None


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
    """Runs one graph once (or one body inside a parent run). Create one per run."""

    def __init__(
        self,
        graph: Graph[object],
        options: RunOptions,
        listeners: Sequence[EventListener],
        *,
        parent: Scheduler | None = None,
        path: str = "",
    ) -> None:
        plan = graph.plan
        self.graph = graph
        self.plan = plan
        self.options = options
        self.parent = parent
        self.path = path
        steps = plan.steps
        count = len(steps)
        prefix = f"{path}/" if path else ""
        self.names = [prefix + step.node.id for step in steps]
        self.args: list[dict[str, object]] = [{} for _ in range(count)]
        self.pending = [step.required for step in steps]
        self.values: list[object] = [_MISSING] * count
        self.attempts = [0] * count
        self.statuses = [NodeStatus.PENDING] * count
        self.errors: dict[int, BaseException] = {}
        self.failure: tuple[int, BaseException, int] | None = None
        self.scope: anyio.CancelScope | None = None
        self.cancel_requested = False
        self.task_group: anyio.abc.TaskGroup | None = None
        self.inline = 0
        # Skipping, routing and joins: only graphs that use them pay for this state.
        self.reasons: list[str | None] = [None] * count
        self.absent_inputs: list[int] = [0] * count
        self.present: list[int] = [0] * count
        self.carried: dict[int, _Absent] = {}
        self.reason_input: dict[int, str] = {}
        self.skipping: list[tuple[int, str]] = []
        self.joins: dict[int, dict[str, object]] = {index: {} for index in plan.joins}
        self.fired: set[int] = set()
        self.abandoned: set[int] = set()
        self.scopes: dict[int, anyio.CancelScope] = {}
        self.regions = plan.regions
        if parent is None:
            self.run_id = RunId(options.run_id or options.id_factory())
            self.clock = options.clock
            self.rng: random.Random | None = None
            self.listeners = tuple(listeners)
            self.listener_error: BaseException | None = None
            self.seq = 0
            self.limiter = (
                anyio.CapacityLimiter(options.max_concurrency) if options.max_concurrency else None
            )
        else:
            self.run_id = parent.run_id
            self.clock = parent.clock
            self.listeners = parent.listeners
            self.limiter = parent.limiter
        self.pools = {name: anyio.CapacityLimiter(size) for name, size in graph.pools.items()}
        self.checkpoint: Checkpointer | None = None
        self.restored: dict[str, object] = {}
        self.questions: list[Question] = []
        self.plain = not self.listeners and self.limiter is None

    # -- events ------------------------------------------------------------------------

    def emit(self, make: Callable[..., Event], **fields: object) -> None:
        """Build an event and hand it to every listener, in order."""
        root = self
        while root.parent is not None:
            root = root.parent
        event = make(seq=root.seq, run_id=root.run_id, time=root.clock.now(), **fields)
        root.seq += 1
        for listener in root.listeners:
            try:
                listener(event)
            except Exception as error:  # a broken listener stops the run, not the process
                if root.listener_error is None:
                    root.listener_error = error
                    root.cancel()

    def jitter(self) -> float:
        """A draw in [0, 1) from the run's seeded generator (made on first use: it is slow)."""
        root = self
        while root.parent is not None:
            root = root.parent
        if root.rng is None:
            root.rng = random.Random(root.options.seed)
        return root.rng.random()

    def cancel(self) -> None:
        """Cancel the run: in-flight nodes are cancelled and the result says so."""
        self.cancel_requested = True
        if self.scope is not None:
            self.scope.cancel()

    # -- a whole run -------------------------------------------------------------------

    async def execute(
        self,
        inputs: Mapping[str, object],
        checkpoint: Checkpointer | None = None,
        restored: Mapping[str, object] | None = None,
    ) -> RunResult[object]:
        """Run the graph to its end and return the result (cancellation propagates).

        With ``checkpoint``, every output is committed to its store; ``restored`` holds
        outputs committed earlier (a resume or fork), which are not run again.
        """
        self.checkpoint = checkpoint
        self.restored = dict(restored or {})
        self.plain = self.plain and checkpoint is None  # failures must be recorded
        if checkpoint is None:
            return await self.execute_here(inputs)
        from plait.engine._store_faults import supervise

        checkpoint.abort = self.cancel
        return await supervise(checkpoint, functools.partial(self.execute_here, inputs))

    async def execute_here(self, inputs: Mapping[str, object]) -> RunResult[object]:
        graph = self.graph
        check_inputs(graph, inputs, types=self.options.validate_inputs)
        started = self.clock.now()
        if self.listeners:
            self.emit(RunStarted, graph=graph.name, content_hash=graph.content_hash, inputs=inputs)
        timeout = self.options.timeout if self.options.timeout is not None else graph.timeout
        try:
            scope = await self.drive(inputs, timeout)
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
        if self.checkpoint is not None and self.checkpoint.fault is not None:
            raise self.checkpoint.fault
        result = self.finish(scope, timeout, started)
        if self.listener_error is not None:  # a listener broke on RunFinished itself
            raise self.listener_error
        return result

    async def run_body(self, inputs: Mapping[str, object]) -> object:
        """Run as the body of a parent's node; return the output or raise the failure."""
        await self.drive(inputs, None)
        if self.failure is not None:
            index, cause, attempts = self.failure
            error = NodeFailedError(
                run_id=self.run_id, node=self.names[index], attempts=attempts, error=cause
            )
            raise error from cause
        return self.output()

    async def drive(
        self,
        inputs: Mapping[str, object],
        timeout: float | None,  # noqa: ASYNC109 - the deadline is the run's own cancel scope
    ) -> anyio.CancelScope | None:
        """Deliver the inputs, start the roots, and wait until nothing is left to do."""
        plan, args = self.plan, self.args
        for name, targets in plan.inputs:
            value = inputs[name]
            for target in targets:
                args[target.step][target.input] = (
                    value if target.getter is None else target.getter(value)
                )
        if plan.sequential and self.parent is not None:
            # A body where one step at a time is ready needs no task group of its own, and
            # a failure has nothing to cancel: the parent's scope still covers it.
            if plan.roots:
                await self.run_step(plan.roots[0])
            return None
        deadline = anyio.current_time() + timeout if timeout is not None else float("inf")
        with anyio.CancelScope(deadline=deadline) as scope:
            self.scope = scope
            if self.cancel_requested:
                scope.cancel()
            async with anyio.create_task_group() as task_group:
                self.task_group = task_group
                starts: list[int] = self.replay() if self.restored else list(plan.roots)
                first: int | None = starts[0] if starts else None
                rest = starts[1:]
                for root in rest:
                    task_group.start_soon(self.run_step, root)
                if first is not None:
                    await self.run_step(first)
        return scope

    def replay(self) -> list[int]:
        """Complete the restored steps without running them; return the steps to start."""
        steps = self.plan.steps
        work = list(self.plan.roots)
        start: list[int] = []
        while work:
            index = work.pop()
            name = self.names[index]
            if name in self.restored:
                work.extend(self.completed(steps[index], self.restored[name]))
            else:
                start.append(index)
        return sorted(start)

    def output(self) -> object:
        plan = self.plan
        value = self.values[plan.output_step]
        if value is _MISSING:
            name = self.names[plan.output_step]
            reason = self.reasons[plan.output_step] or "it did not run"
            raise NoOutputError(
                f"run {self.run_id} produced no output: output node `{name}` was skipped "
                f"({reason})",
                run_id=self.run_id,
            )
        return value if plan.output_getter is None else plan.output_getter(value)

    def cancelled(self) -> list[str]:
        return [
            self.names[index]
            for index, status in enumerate(self.statuses)
            if status is NodeStatus.CANCELLED
        ]

    def finish(
        self, scope: anyio.CancelScope | None, timeout: float | None, started: float
    ) -> RunResult[object]:
        plan = self.plan
        error: RunError | None = None
        output: object = _MISSING
        if self.failure is not None:
            index, cause, attempts = self.failure
            error = NodeFailedError(
                run_id=self.run_id, node=self.names[index], attempts=attempts, error=cause
            )
            error.__cause__ = cause
            status = RunStatus.FAILED
        elif self.cancel_requested:
            error = RunCancelledError(run_id=self.run_id, in_flight=self.cancelled())
            status = RunStatus.CANCELLED
        elif self.questions:
            error = RunWaitingError(run_id=self.run_id, questions=self.questions)
            status = RunStatus.WAITING
        elif scope is not None and scope.cancelled_caught:
            error = RunTimeoutError(
                run_id=self.run_id, timeout=timeout or 0.0, in_flight=self.cancelled()
            )
            status = RunStatus.FAILED
        else:
            try:
                output = self.output()
                status = RunStatus.SUCCEEDED
            except NoOutputError as missing:
                error = missing
                status = RunStatus.FAILED
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

    # -- one step and what follows it ---------------------------------------------------

    async def run_step(self, index: int) -> None:
        """Run a step, then every dependent it completes (the first one inline)."""
        steps = self.plan.steps
        while True:
            step = steps[index]
            if index in self.abandoned:
                return
            try:
                if step.direct and self.plain:
                    value = await self.direct(step)
                elif step.cancellable:
                    value = await self.cancellable(step)
                else:
                    value = await self.attempts_of(step)
            except _GaveUp as gave_up:
                ready = self.gave_up(step, gave_up)
            else:
                if value is _WAITING:
                    self.statuses[index] = NodeStatus.WAITING
                    return
                if self.checkpoint is not None and not isinstance(value, _Absent):
                    await self.checkpoint.commit(self.names[index], self.attempts[index])
                ready = self.completed(step, value)
            if not ready:
                return
            if len(ready) > 1:
                assert self.task_group is not None, "a sequential plan made two steps ready"
                for other in ready[1:]:
                    self.task_group.start_soon(self.run_step, other)
            index = ready[0]
            self.inline += 1
            if self.inline >= _YIELD_EVERY:
                self.inline = 0
                await anyio.lowlevel.checkpoint()

    async def direct(self, step: Step) -> object:
        """The fast path: one awaited call, no events, limits, timeout or retries."""
        index = step.index
        self.attempts[index] = 1
        self.statuses[index] = NodeStatus.RUNNING
        try:
            value = await step.node.fn(**self.args[index])  # type: ignore[attr-defined]
            return checked_output(self.run_id, self.names[index], step.node, value)
        except Exception as error:
            raise _GaveUp(error, 1) from error
        except BaseException:
            self.statuses[index] = NodeStatus.CANCELLED
            raise

    async def cancellable(self, step: Step) -> object:
        """Run a step a join may cancel; a cancellation here is absence, not an error."""
        value: object = _MISSING
        with anyio.CancelScope() as scope:
            self.scopes[step.index] = scope
            value = await self.attempts_of(step)
        del self.scopes[step.index]
        if value is _MISSING:
            return _Absent(f"cancelled: join `{self.join_name(step)}` no longer needed it")
        return value

    def join_name(self, step: Step) -> str:
        assert step.region is not None
        return self.names[step.region[0]]

    def gave_up(self, step: Step, gave_up: _GaveUp) -> list[int]:
        index = step.index
        self.statuses[index] = NodeStatus.FAILED
        self.errors[index] = gave_up.error
        if self.listeners:
            self.emit(
                NodeFailed, node=self.names[index], attempt=gave_up.attempts, error=gave_up.error
            )
        if step.collecting:
            error = gave_up.error
            failure = BranchFailure(
                self.names[index], type(error).__name__, str(error), gave_up.attempts
            )
            return self.propagate(step, _Absent(f"`{self.names[index]}` failed", failure))
        if self.failure is None:
            self.failure = (index, gave_up.error, gave_up.attempts)
            if self.scope is not None:
                self.scope.cancel()
        return []

    def completed(self, step: Step, value: object) -> list[int]:
        """Record a step's value (or absence) and return the steps that became ready."""
        index = step.index
        if isinstance(value, _Absent):
            return self.propagate(step, value)
        self.values[index] = value
        self.statuses[index] = NodeStatus.SUCCEEDED
        ready: list[int] = []
        args, pending = self.args, self.pending
        for target in step.targets:
            if target.step in self.joins:
                self.join_arrival(target, value, ready)
                continue
            args[target.step][target.input] = (
                value if target.getter is None else target.getter(value)
            )
            self.present[target.step] += 1
            pending[target.step] -= 1
            if pending[target.step] == 0:
                self.became_ready(target.step, ready)
        if step.routes is not None:
            self.routed(step, value, ready)
        if self.skipping:
            self.drain(ready)
        return ready

    def became_ready(self, index: int, ready: list[int]) -> None:
        reason = self.reasons[index]
        if reason is None and self.absent_inputs[index] and not self.present[index]:
            reason = "every input it waits for was skipped"
        if reason is None:
            ready.append(index)
        else:
            self.skipping.append((index, reason))

    def propagate(self, step: Step, absent: _Absent, ready: list[int] | None = None) -> list[int]:
        """Tell a step's dependents that its value will never come."""
        ready = [] if ready is None else ready
        name = self.names[step.index]
        for target in step.targets:
            if target.step in self.joins:
                self.join_arrival(target, absent, ready)
                continue
            index = target.step
            self.absent_inputs[index] += 1
            if absent.failure is not None and index not in self.carried:
                self.carried[index] = absent
            if target.input not in self.plan.steps[index].optional:
                # The lowest input names the reason, whichever branch happened to end first.
                held = self.reason_input.get(index)
                if self.reasons[index] is None or (held is not None and target.input < held):
                    self.reasons[index] = f"input `{target.input}` has no value: {absent.reason}"
                    self.reason_input[index] = target.input
            self.pending[index] -= 1
            if self.pending[index] == 0:
                self.became_ready(index, ready)
        for routed in step.route_targets:
            if self.reasons[routed] is None:
                self.reasons[routed] = f"its router `{name}` did not run"
            self.pending[routed] -= 1
            if self.pending[routed] == 0:
                self.became_ready(routed, ready)
        self.drain(ready)
        return ready

    def drain(self, ready: list[int]) -> None:
        """Skip every step waiting to be skipped, and whatever that skips in turn."""
        while self.skipping:
            index, why = self.skipping.pop()
            if self.statuses[index] is not NodeStatus.PENDING:
                continue
            self.statuses[index] = NodeStatus.SKIPPED
            self.reasons[index] = why
            if self.listeners:
                self.emit(NodeSkipped, node=self.names[index], reason=why)
            absent = self.carried.get(index) or _Absent(f"`{self.names[index]}` was skipped")
            self.propagate(self.plan.steps[index], absent, ready)

    def routed(self, step: Step, value: object, ready: list[int]) -> None:
        assert step.routes is not None
        labels = self.labels(step, value)
        chosen: set[int] = set()
        for label in labels:
            chosen.update(step.routes[label])
        name = self.names[step.index]
        if self.listeners:
            self.emit(
                NodeRouted,
                node=name,
                labels=labels,
                taken=tuple(self.names[t] for t in step.route_targets if t in chosen),
                skipped=tuple(self.names[t] for t in step.route_targets if t not in chosen),
            )
        shown = ", ".join(repr(label) for label in labels) or "no label"
        for target in step.route_targets:
            if target in chosen:
                self.pending[target] -= 1
                if self.pending[target] == 0:
                    self.became_ready(target, ready)
            else:
                if self.reasons[target] is None:
                    self.reasons[target] = f"route not taken: `{name}` chose {shown}"
                self.pending[target] -= 1
                if self.pending[target] == 0:
                    self.became_ready(target, ready)

    def labels(self, step: Step, value: object) -> tuple[object, ...]:
        """The labels a router returned.

        Raises:
            RouteError: when one is not among its declared labels.
        """
        assert step.routes is not None
        labels = tuple(cast(Iterable[object], value)) if step.multi_route else (value,)
        for label in labels:
            if label not in step.routes:
                raise RouteError(
                    f"router `{self.names[step.index]}` returned {label!r}, which is not one "
                    f"of its labels: {', '.join(repr(known) for known in step.routes)}"
                )
        return labels

    # -- joins -------------------------------------------------------------------------

    def join_arrival(self, target: Target, value: object, ready: list[int]) -> None:
        index = target.step
        self.pending[index] -= 1
        if index in self.fired:
            return
        arrived = self.joins[index]
        if isinstance(value, _Absent):
            if value.failure is not None:
                arrived[target.input] = value.failure
        else:
            arrived[target.input] = value if target.getter is None else target.getter(value)
        step = self.plan.steps[index]
        node = step.node
        assert isinstance(node, JoinNode)
        values = sum(1 for item in arrived.values() if not isinstance(item, BranchFailure))
        if node.policy in ("first", "k_of_n") and values >= step.join_need:
            self.fire(index, ready)
        elif self.pending[index] == 0:
            if not arrived:
                self.skipping.append((index, "every branch it joins was skipped"))
            else:
                self.fire(index, ready)

    def fire(self, index: int, ready: list[int]) -> None:
        self.fired.add(index)
        ready.append(index)
        arrived = self.joins[index]
        for item in self.plan.steps[index].node.inputs:
            if item.name in arrived:
                continue
            for member in self.regions.get((index, item.name), ()):
                scope = self.scopes.get(member)
                if scope is not None:
                    scope.cancel()
                elif self.statuses[member] is NodeStatus.PENDING:
                    self.abandoned.add(member)
                    self.statuses[member] = NodeStatus.SKIPPED
                    self.reasons[member] = f"cancelled: join `{self.names[index]}` decided"
                    if self.listeners:
                        self.emit(NodeSkipped, node=self.names[member], reason=self.reasons[member])

    def join_value(self, step: Step) -> object:
        node = step.node
        assert isinstance(node, JoinNode)
        arrived = self.joins[step.index]
        ordered = {item.name: arrived[item.name] for item in node.inputs if item.name in arrived}
        if node.policy == "first":
            for item in ordered.values():
                if not isinstance(item, BranchFailure):
                    return item
        if node.policy == "k_of_n":
            values = [item for item in ordered.values() if not isinstance(item, BranchFailure)]
            if len(values) < step.join_need:
                raise JoinUnsatisfiedError(
                    f"join `{self.names[step.index]}` needs {step.join_need} values, "
                    f"got {len(values)}"
                )
            kept = [name for name, item in ordered.items() if not isinstance(item, BranchFailure)]
            return {name: ordered[name] for name in kept[: step.join_need]}
        return ordered

    # -- attempts ----------------------------------------------------------------------

    async def attempts_of(self, step: Step) -> object:
        """Try a step until it succeeds or its retry policy gives up."""
        index = step.index
        name = self.names[index]
        policy = step.retry
        attempt = 0
        while True:
            attempt += 1
            self.attempts[index] = attempt
            self.statuses[index] = NodeStatus.RUNNING
            listeners = self.listeners
            if listeners:
                began = self.clock.now()
                self.emit(NodeStarted, node=name, attempt=attempt)
            try:
                value = await self.attempt(step, attempt)
                if step.routes is not None:
                    self.labels(step, value)
                value = checked_output(self.run_id, name, step.node, value)
                if self.checkpoint is not None and value is not _WAITING:
                    self.checkpoint.stage(name, step.node.output, value)
            except Exception as error:
                if self.checkpoint is not None:
                    await self.checkpoint.failed(name, attempt, error)
                final = isinstance(error, RouteError | JoinUnsatisfiedError)
                final = final or is_wrong_output(error)
                if not final and attempt < policy.max_attempts and policy.retries(error):
                    delay = policy.delay(attempt, error, self.jitter())
                    if listeners:
                        self.emit(
                            NodeRetrying, node=name, attempt=attempt, delay=delay, error=error
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
            if listeners and value is not _WAITING:
                self.emit(
                    NodeFinished,
                    node=name,
                    attempt=attempt,
                    duration=self.clock.now() - began,
                    output=value,
                )
            return value

    def node_cancelled(self, step: Step, attempt: int) -> None:
        self.statuses[step.index] = NodeStatus.CANCELLED
        if self.listeners:
            self.emit(NodeCancelled, node=self.names[step.index], attempt=attempt)

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
            raise NodeTimeoutError(self.names[step.index], step.timeout)
        raise AssertionError("unreachable")  # pragma: no cover

    async def invoke(self, step: Step, attempt: int) -> object:
        node = step.node
        kwargs = self.args[step.index]
        if isinstance(node, FunctionNode):
            if node.context_parameter is not None:
                kwargs = dict(kwargs)
                kwargs[node.context_parameter] = self.context(step, attempt)
            if node.is_async:
                result: object = await node.fn(**kwargs)  # type: ignore[misc]
                return result
            if not node.blocking:
                return node.fn(**kwargs)
            return await anyio.to_thread.run_sync(
                functools.partial(node.fn, **kwargs), abandon_on_cancel=True
            )
        path = self.names[step.index]
        if isinstance(node, JoinNode):
            return self.join_value(step)
        if isinstance(node, HumanNode):
            return await self.ask(node, kwargs)
        if isinstance(node, SubgraphNode):
            return await run_subgraph(node, path, kwargs, self.run_nested)
        if isinstance(node, MapNode):
            return await run_map(node, path, kwargs, self.run_nested)
        if isinstance(node, LoopNode):
            return await run_loop(node, path, kwargs, self.run_nested)
        return await node.execute(kwargs, self.context(step, attempt))

    async def ask(self, node: HumanNode, inputs: Mapping[str, object]) -> object:
        """The answer to a human node, or ``_WAITING`` after recording its question."""
        if self.parent is not None:
            raise TypeError(f"human node `{node.id}` can only be a top-level node for now")
        if self.checkpoint is not None:
            found = await self.checkpoint.ask(node, inputs)
            if found is not None:
                return found
            self.questions.extend(self.checkpoint.questions[-1:])
        else:
            self.questions.append(Question(node.id, node.question.format_map(dict(inputs)), {}))
        if self.listeners:
            self.emit(NodeWaiting, node=node.id, question=self.questions[-1].question)
        return _WAITING

    def context(self, step: Step, attempt: int) -> RunContext:
        """The run context handed to a node's attempt."""
        name = self.names[step.index]
        report = None
        if self.listeners:

            def report(kind: str, data: Mapping[str, object]) -> None:
                self.emit(NodeReported, node=name, kind=kind, data=data)

        key = idempotency_key(self.run_id, name, self.args[step.index])
        root = self
        while root.parent is not None:
            root = root.parent
        journal = run_journal(root, root.checkpoint)
        return RunContext(self.run_id, name, attempt, report, key, journal)

    async def run_nested(
        self, body: Graph[object], path: str, inputs: Mapping[str, object]
    ) -> object:
        """Run ``body`` as part of this run, its events under ``path``."""
        inner = Scheduler(body, self.options, (), parent=self, path=path)
        return await inner.run_body(inputs)


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
