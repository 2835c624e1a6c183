"""Durable entry points: run with checkpoints, resume, answer questions, fork."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TypeVar, cast

from plait.engine._answers import answer
from plait.engine._durable import Checkpointer
from plait.engine._events import EventListener
from plait.engine._options import RunOptions
from plait.engine._result import RunResult
from plait.engine._scheduler import Scheduler
from plait.engine._shared import forked_memory
from plait.engine._storable import check_storable
from plait.engine.stores._protocol import OutputRecord, Store
from plait.graphs import Graph
from plait.nodes import RunError

__all__ = ["fork", "resume", "run_durably"]

OutputT = TypeVar("OutputT")


async def run_durably(
    graph: Graph[OutputT],
    inputs: Mapping[str, object],
    options: RunOptions,
    listeners: tuple[EventListener, ...],
    scheduler: Scheduler | None = None,
) -> RunResult[OutputT]:
    """A new run whose outputs are committed to ``options.store`` (its inputs checked);
    ``scheduler``, when given, is the one already made for it (``stream``'s)."""
    assert options.store is not None
    check_storable(cast(Graph[object], graph), inputs)
    if scheduler is None:
        scheduler = Scheduler(cast(Graph[object], graph), options, listeners)
    checkpoint = _checkpointer(options.store, scheduler, options)
    await checkpoint.start(inputs)
    return cast(RunResult[OutputT], await scheduler.execute(inputs, checkpoint))


def _checkpointer(store: Store, scheduler: Scheduler, options: RunOptions) -> Checkpointer:
    checkpoint = Checkpointer(
        store, scheduler.graph, scheduler.run_id, options.durability, options.wall, options.lease
    )
    checkpoint.secrets = scheduler.secrets  # found once per run, shared with its events
    return checkpoint


async def resume(
    graph: Graph[OutputT],
    run_id: str,
    /,
    *,
    store: Store,
    answers: Mapping[str, object] | None = None,
    force: bool = False,
    take_over: bool = False,
    fresh: Sequence[str] = (),
    options: RunOptions | None = None,
    listeners: tuple[EventListener, ...] = (),
) -> RunResult[OutputT]:
    """Continue a failed, cancelled, crashed or waiting run; committed nodes never rerun.

    ``answers`` maps human nodes to their answers (checked against their types). An
    agent replays its journaled LLM and tool calls; the nodes in ``fresh`` forget theirs
    and start over (after a ``NondeterminismError``, when the change is intended).

    A run whose process is gone (on this host: its pid is dead; elsewhere: its lease
    expired) is taken over at once; ``take_over`` takes it from a live process too, which
    then stops at its next write with ``LeaseLostError``.

    Raises:
        RunError: when the run is not in the store, an answer names no question, or a
            ``fresh`` node is not in the graph.
        GraphChangedError: when ``graph`` is not the graph the run started with (unless
            ``force``), saying what changed.
        RunLockedError: when another live process holds it (unless ``take_over``).
        CorruptRecordError: when a committed output fails its checksum or decoding.
        StoreError: when the store fails mid-run (the run is recorded ``failed``).
    """
    check_storable(cast(Graph[object], graph))
    base = options or RunOptions()
    settings = replace(base, store=store, run_id=run_id)
    scheduler = Scheduler(cast(Graph[object], graph), settings, listeners)
    checkpoint = _checkpointer(store, scheduler, settings)
    if answers:
        await answer(store, scheduler.graph, run_id, answers, settings.wall(), scheduler.secrets)
    inputs, restored = await checkpoint.reopen(force, fresh, take_over)
    return cast(RunResult[OutputT], await scheduler.execute(inputs, checkpoint, restored))


async def fork(
    graph: Graph[OutputT],
    run_id: str,
    /,
    *,
    store: Store,
    at: str | None = None,
    outputs: Mapping[str, object] | None = None,
    options: RunOptions | None = None,
    listeners: tuple[EventListener, ...] = (),
) -> RunResult[OutputT]:
    """A new run that starts from an old run's committed outputs.

    Everything downstream of ``at`` (and of each node in ``outputs``) runs again; the
    nodes in ``outputs`` take the given values instead of running. The old run is
    untouched; the new one records it as its parent.

    Raises:
        RunError: when the run is not in the store or a named node is not in the graph.
    """
    from plait.nodes import from_jsonable

    check_storable(cast(Graph[object], graph))
    base = options or RunOptions()
    settings = replace(base, store=store, run_id=None)
    scheduler = Scheduler(cast(Graph[object], graph), settings, listeners)
    old = Checkpointer(store, scheduler.graph, run_id, "sync", settings.wall, settings.lease)
    stored = await store.load(run_id)
    if stored is None:
        raise RunError(f"run {run_id} is not in the store", run_id=run_id)
    inputs = old.decode_inputs(stored.run.inputs)
    committed = old.decode_outputs(stored.outputs)
    replaced = dict(outputs or {})
    for name in [*replaced, *([at] if at is not None else [])]:
        if name not in graph.nodes:
            raise RunError(f"fork of run {run_id}: graph has no node `{name}`", run_id=run_id)
    redo = _downstream(scheduler, [at] if at is not None else [])
    redo |= _downstream(scheduler, list(replaced)) - set(replaced)
    # An inner record (``each[3]/fetch``) goes with the top-level node it ran inside.
    redo |= set(replaced)
    kept = {name: value for name, value in committed.items() if _owner(name) not in redo}
    for name, value in replaced.items():
        kept[name] = from_jsonable(graph.nodes[name].output, value)
    checkpoint = _checkpointer(store, scheduler, settings)
    await checkpoint.start(inputs, parent=run_id)
    copied = [
        OutputRecord.of(scheduler.run_id, name, 0, checkpoint.encode(value), settings.wall())
        for name, value in kept.items()
    ]
    shared = forked_memory(stored.shared, scheduler.run_id, set(kept) - set(replaced))
    await store.put_outputs(copied, shared, lease=checkpoint.held)
    return cast(RunResult[OutputT], await scheduler.execute(inputs, checkpoint, kept))


def _downstream(scheduler: Scheduler, names: list[str]) -> set[str]:
    """The named nodes and every node that depends on them."""
    steps = scheduler.plan.steps
    index = {name: position for position, name in enumerate(scheduler.names)}
    work = [index[name] for name in names]
    found: set[int] = set()
    while work:
        current = work.pop()
        if current in found:
            continue
        found.add(current)
        step = steps[current]
        work.extend(target.step for target in step.targets)
        work.extend(step.route_targets)
    return {scheduler.names[position] for position in found}


def _owner(path: str) -> str:
    """The top-level node a node path ran under: ``each`` for ``each[3]/fetch``."""
    return path.split("/", 1)[0].split("[", 1)[0]
