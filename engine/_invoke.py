"""One attempt's call: function nodes, joins, human nodes and the composite runners."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

import anyio.to_thread

from plait.engine._approvals import wait_for_approval
from plait.engine._composite import run_loop, run_map, run_subgraph
from plait.engine._durable import Question, idempotency_key
from plait.engine._events import NodeReported, NodeWaiting
from plait.engine._group_commit import beside_others
from plait.engine._joins import join_value
from plait.engine._shared import RunShared
from plait.engine._step_values import WAITING
from plait.engine._threads import StoreMemory
from plait.engine.executors._protocol import Attempt
from plait.graphs import HumanNode, JoinNode, LoopNode, MapNode, Step, SubgraphNode
from plait.nodes import ApprovalPendingError, FunctionNode, MemoryJournal, RunContext

if TYPE_CHECKING:
    from plait.engine._scheduler import Scheduler

__all__ = ["announce_items", "ask", "context", "invoke"]


async def invoke(scheduler: Scheduler, step: Step, attempt: int) -> object:
    node = step.node
    kwargs = scheduler.args[step.index]
    if isinstance(node, FunctionNode):
        if node.context_parameter is not None:
            kwargs = dict(kwargs)
            kwargs[node.context_parameter] = context(scheduler, step, attempt)
        if scheduler.placed is not None and (executor := scheduler.placed[step.index]):
            path = scheduler.names[step.index]
            return await executor.execute(Attempt(scheduler.run_id, path, attempt, node, kwargs))
        if node.is_async:
            result: object = await node.fn(**kwargs)  # type: ignore[misc]
            return result
        if not node.blocking:
            return node.fn(**kwargs)
        return await anyio.to_thread.run_sync(
            functools.partial(node.fn, **kwargs), abandon_on_cancel=True
        )
    path = scheduler.names[step.index]
    if isinstance(node, JoinNode):
        return join_value(scheduler, step)
    if isinstance(node, HumanNode):
        return await ask(scheduler, node, kwargs)
    if isinstance(node, SubgraphNode):
        return await run_subgraph(node, path, kwargs, scheduler.run_nested)
    if isinstance(node, MapNode):
        if scheduler.listeners:
            announce_items(scheduler, path, kwargs.get(node.over))
        checkpoint = scheduler.checkpoint
        with beside_others(None if checkpoint is None else checkpoint.commits):
            return await run_map(node, path, kwargs, scheduler.run_nested)
    if isinstance(node, LoopNode):
        return await run_loop(node, path, kwargs, scheduler.run_nested)
    try:
        return await node.execute(kwargs, context(scheduler, step, attempt))
    except ApprovalPendingError as pending:  # tool calls wait for a person: so does the step
        return await wait_for_approval(scheduler, path, pending)


async def ask(scheduler: Scheduler, node: HumanNode, inputs: Mapping[str, object]) -> object:
    """The answer to a human node, or ``WAITING`` after recording its question."""
    if scheduler.parent is not None:
        raise TypeError(f"human node `{node.id}` can only be a top-level node for now")
    if scheduler.checkpoint is not None:
        found = await scheduler.checkpoint.ask(node, inputs)
        if found is not None:
            return found
        scheduler.questions.extend(scheduler.checkpoint.questions[-1:])
    else:
        scheduler.questions.append(Question(node.id, node.question.format_map(dict(inputs)), {}))
    if scheduler.listeners:
        scheduler.emit(NodeWaiting, node=node.id, question=scheduler.questions[-1].question)
    return WAITING


def announce_items(scheduler: Scheduler, path: str, items: object) -> None:
    """Report how many items a map is about to run (an ``items`` report: ``total``), so
    that a display can count them done out of a known total."""
    if isinstance(items, list | tuple):
        scheduler.emit(NodeReported, node=path, kind="items", data={"total": len(items)})


def context(scheduler: Scheduler, step: Step, attempt: int) -> RunContext:
    """The run context handed to a node's attempt."""
    name = scheduler.names[step.index]
    report = None
    if scheduler.listeners:

        def report(kind: str, data: Mapping[str, object]) -> None:
            scheduler.emit(NodeReported, node=name, kind=kind, data=data)

    key = idempotency_key(scheduler.run_id, name, scheduler.args[step.index])
    root = scheduler
    while root.parent is not None:
        root = root.parent
    carriers = [found for item in root.listeners if callable(found := getattr(item, "carrier", 0))]
    # A durable run journals to its store; any other run to memory, so a retry replays.
    journal = root.checkpoint if root.checkpoint is not None else _memory_journal(root)
    memory = None if root.checkpoint is None else StoreMemory(root.checkpoint)
    if root.shared is None:
        root.shared = RunShared(
            root.run_id,
            root.graph.name,
            root.run_inputs,
            root.checkpoint,
            root.secrets,
            root.options.wall,
        )
    return RunContext(
        scheduler.run_id,
        name,
        attempt,
        report,
        key,
        journal,
        memory=memory,
        models=root.models,
        mcp=root.mcp,
        shared=root.shared.view(name),
        # a tracing listener (``OpenTelemetry``) gives the headers carrying its trace
        trace=functools.partial(carriers[0], scheduler.run_id, name) if carriers else None,
        # a listener says ``tokens = False`` when streamed tokens are of no use to it
        tokens=any(getattr(listener, "tokens", True) for listener in root.listeners),
    )


def _memory_journal(root: Scheduler) -> MemoryJournal:
    """The effect journal of a run without a store, made on first use."""
    if root.memory_journal is None:
        root.memory_journal = MemoryJournal(secrets=root.secrets)
    return root.memory_journal
