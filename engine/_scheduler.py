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
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import anyio
import anyio.abc
import anyio.lowlevel

from plait.engine._attempts import attempts_of
from plait.engine._direct import direct_failed, direct_value, observed_direct
from plait.engine._durable import Checkpointer, Question
from plait.engine._events import (
    Event,
    EventListener,
    NodeFailed,
    RunFinished,
    RunStarted,
    RunStatus,
)
from plait.engine._flow import became_ready, drain, propagate, replay, routed
from plait.engine._group_commit import YIELD_EVERY, start_beside
from plait.engine._joins import join_arrival
from plait.engine._masked_events import masked_event
from plait.engine._options import RunOptions
from plait.engine._outcome import cancelled_nodes, finish, run_output
from plait.engine._result import NodeStatus, RunResult
from plait.engine._secrets import run_secrets
from plait.engine._shared import RunShared, committed, discarded
from plait.engine._step_values import MISSING, WAITING, Absent, GaveUp
from plait.engine.executors._placement import placed_steps
from plait.graphs import BranchFailure, Graph, Step
from plait.nodes import NodeFailedError, RunCancelledError, RunId, Secrets

if TYPE_CHECKING:
    from plait.nodes import MCPHub, MemoryJournal, ModelCatalog

__all__ = ["Scheduler"]


class Scheduler:
    """Runs one graph once (or one body inside a parent run). Create one per run.
    It coordinates; its parts live beside it: ``Flow`` (skipping, routing), ``Joins``,
    ``Attempts`` (retries), ``Invoking`` (calls, composites), ``Outcome`` (the result)."""

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
        self.values: list[object] = [MISSING] * count
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
        self.carried: dict[int, Absent] = {}
        self.reason_input: dict[int, str] = {}
        self.skipping: list[tuple[int, str]] = []
        self.joins: dict[int, dict[str, object]] = {index: {} for index in plan.joins}
        self.fired: set[int] = set()
        self.abandoned: set[int] = set()
        self.scopes: dict[int, anyio.CancelScope] = {}
        self.regions = plan.regions
        self.root: Scheduler = self if parent is None else parent.root
        self.shared: RunShared | None = None  # the root's, made when a node first asks
        if parent is None:
            self.run_id = RunId(options.run_id or options.id_factory())
            self.clock = options.clock
            self.rng: random.Random | None = None
            self.listeners = tuple(listeners)
            self.given_secrets = options.secrets
            self.found_secrets: Secrets | None = None
            self.listener_error: BaseException | None = None
            self.memory_journal: MemoryJournal | None = None
            self.models: ModelCatalog | None = None
            self.mcp: MCPHub | None = None
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
        if parent is not None:  # a body commits and restores its nodes under their paths
            self.checkpoint = parent.checkpoint
            self.restored = parent.restored
        self.questions: list[Question] = []
        self.placed = placed_steps(graph, options, check=parent is None)  # None: all here
        self.cached: set[int] = set()
        """Steps whose output came from the result cache (``engine.cache``)."""
        # direct steps skip the retry loop (watched, checkpointed or not) unless limits,
        # executors or a result cache apply (a cached step needs the full path)
        self.quick = self.limiter is None and self.placed is None
        if options.cache is not None:
            self.quick = self.quick and all(step.node.cache is None for step in steps)

    @property
    def secrets(self) -> Secrets:
        """The run's secrets, masked in events and the journal (found on first use)."""
        if self.found_secrets is None:
            self.found_secrets = run_secrets(self.graph, self.given_secrets, self.options.mcp)
        return self.found_secrets

    def emit(self, make: Callable[..., Event], **fields: object) -> None:
        """Build an event and hand it to every listener, in order."""
        root = self.root
        event = make(seq=root.seq, run_id=root.run_id, time=root.clock.now(), **fields)
        root.seq += 1
        secrets = root.found_secrets or root.secrets  # found once, then read
        if secrets:
            event = masked_event(event, secrets)
        for listener in root.listeners:
            try:
                listener(event)
            except Exception as error:  # a broken listener stops the run, not the process
                if root.listener_error is None:
                    root.listener_error = error
                    root.cancel()

    def jitter(self) -> float:
        """A draw in [0, 1) from the run's seeded generator (made on first use: it is slow)."""
        root = self.root
        if root.rng is None:
            root.rng = random.Random(root.options.seed)
        return root.rng.random()

    def cancel(self) -> None:
        """Cancel the run: in-flight nodes are cancelled and the result says so."""
        self.cancel_requested = True
        if self.scope is not None:
            self.scope.cancel()

    async def execute(
        self,
        inputs: Mapping[str, object],
        checkpoint: Checkpointer | None = None,
        restored: Mapping[str, object] | None = None,
    ) -> RunResult[object]:
        """Run the graph to its end and return the result (cancellation propagates).
        With ``checkpoint``, every output is committed to its store; ``restored`` holds
        outputs committed earlier (a resume or fork), which are not run again."""
        self.checkpoint = checkpoint
        self.run_inputs: Mapping[str, object] = inputs
        self.restored = dict(restored or {})
        if self.checkpoint is None:
            return await self.resourced(inputs)
        from plait.engine._store_faults import supervise

        self.checkpoint.abort = self.cancel  # supervised before MCP servers start: all recorded
        return await supervise(self.checkpoint, functools.partial(self.resourced, inputs))

    async def resourced(self, inputs: Mapping[str, object]) -> RunResult[object]:
        if not self.plan.agents:
            return await self.execute_here(inputs)
        from plait.engine._catalogs import run_resources

        async with run_resources(self):  # SDK clients and MCP servers shared by the run
            return await self.execute_here(inputs)

    async def execute_here(self, inputs: Mapping[str, object]) -> RunResult[object]:
        graph = self.graph
        started = self.clock.now()
        if self.listeners:
            self.emit(RunStarted, graph=graph.name, content_hash=graph.content_hash, inputs=inputs)
        timeout = self.options.timeout if self.options.timeout is not None else graph.timeout
        try:
            scope = await self.drive(inputs, timeout)
        except BaseException as error:
            # Cancelled from outside (or interrupted): say so, then let it propagate.
            if self.listeners and not isinstance(error, Exception):
                cancelled = RunCancelledError(run_id=self.run_id, in_flight=cancelled_nodes(self))
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
        result = finish(self, scope, timeout, started)
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
        return run_output(self)

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
        starts = replay(self) if self.restored else list(plan.roots)
        if plan.sequential and self.parent is not None:
            # A body where one step at a time is ready needs no task group of its own, and
            # a failure has nothing to cancel: the parent's scope still covers it.
            if starts:
                await self.run_step(starts[0])
            return None
        deadline = anyio.current_time() + timeout if timeout is not None else float("inf")
        with anyio.CancelScope(deadline=deadline) as scope:
            self.scope = scope
            if self.cancel_requested:
                scope.cancel()
            async with anyio.create_task_group() as task_group:
                self.task_group = task_group
                first: int | None = starts[0] if starts else None
                rest = starts[1:]
                for root in rest:
                    self.spawn(root)
                if first is not None:
                    await self.run_step(first)
        return scope

    async def run_step(self, index: int) -> None:
        """Run a step, then every dependent it completes (the first one inline)."""
        steps = self.plan.steps
        while True:
            step = steps[index]
            if index in self.abandoned:
                return
            try:
                if step.direct and self.quick:
                    watched = self.listeners
                    value = await (observed_direct(self, step) if watched else self.direct(step))
                elif step.cancellable:
                    value = await self.cancellable(step)
                else:
                    value = await attempts_of(self, step)
            except GaveUp as gave_up:
                ready = self.gave_up(step, gave_up)
            else:
                if value is WAITING:
                    self.statuses[index] = NodeStatus.WAITING
                    return
                if not isinstance(value, Absent) and (self.checkpoint or self.root.shared):
                    self.inline += await committed(self, index)  # paces loop turns
                ready = self.completed(step, value)
            if not ready:
                return
            for other in ready[1:]:
                self.spawn(other)
            index = ready[0]
            self.inline += 1
            if self.inline >= YIELD_EVERY:
                self.inline = 0
                await anyio.lowlevel.checkpoint()

    def spawn(self, index: int) -> None:
        """Run ``index`` in a task of its own (counted: its commits can share a batch)."""
        assert self.task_group is not None, "a sequential plan made two steps ready"
        commits = None if self.checkpoint is None else self.checkpoint.commits
        start_beside(self.task_group, commits, self.run_step, index)

    async def direct(self, step: Step) -> object:
        """The fast path: one awaited call, no events, limits, timeout or retries."""
        index = step.index
        self.attempts[index] = 1
        self.statuses[index] = NodeStatus.RUNNING
        try:
            value = await step.node.fn(**self.args[index])  # type: ignore[attr-defined]
            return direct_value(self, step, value)
        except Exception as error:
            raise await direct_failed(self, step, error) from error
        except BaseException:
            self.statuses[index] = NodeStatus.CANCELLED
            raise

    async def cancellable(self, step: Step) -> object:
        """Run a step a join may cancel; a cancellation here is absence, not an error."""
        value: object = MISSING
        with anyio.CancelScope() as scope:
            self.scopes[step.index] = scope
            value = await attempts_of(self, step)
        del self.scopes[step.index]
        if value is MISSING:
            return Absent(f"cancelled: join `{self.join_name(step)}` no longer needed it")
        return value

    def join_name(self, step: Step) -> str:
        return self.names[step.region[0]]  # type: ignore[index]  # a step in a join's region

    def gave_up(self, step: Step, gave_up: GaveUp) -> list[int]:
        index = step.index
        discarded(self, index)
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
            return propagate(self, step, Absent(f"`{self.names[index]}` failed", failure))
        if self.failure is None:
            self.failure = (index, gave_up.error, gave_up.attempts)
            if self.scope is not None:
                self.scope.cancel()
        return []

    def completed(self, step: Step, value: object) -> list[int]:
        """Record a step's value (or absence) and return the steps that became ready."""
        index = step.index
        if isinstance(value, Absent):
            return propagate(self, step, value)
        self.values[index] = value
        self.statuses[index] = NodeStatus.SUCCEEDED
        ready: list[int] = []
        args, pending = self.args, self.pending
        for target in step.targets:
            if target.step in self.joins:
                join_arrival(self, target, value, ready)
                continue
            args[target.step][target.input] = (
                value if target.getter is None else target.getter(value)
            )
            self.present[target.step] += 1
            pending[target.step] -= 1
            if pending[target.step] == 0:
                became_ready(self, target.step, ready)
        if step.routes is not None:
            routed(self, step, value, ready)
        if self.skipping:
            drain(self, ready)
        return ready

    async def run_nested(
        self, body: Graph[object], path: str, inputs: Mapping[str, object]
    ) -> object:
        """Run ``body`` as part of this run, its events under ``path``."""
        inner = Scheduler(body, self.options, (), parent=self, path=path)
        return await inner.run_body(inputs)
