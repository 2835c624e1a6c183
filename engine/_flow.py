"""Skipping and routing: what does not run, and why, flows downstream."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from plait.engine._events import NodeRouted, NodeSkipped
from plait.engine._joins import join_arrival
from plait.engine._result import NodeStatus
from plait.engine._step_values import Absent, RouteError
from plait.graphs import Step

if TYPE_CHECKING:
    from plait.engine._scheduler import Scheduler

__all__ = ["became_ready", "drain", "propagate", "replay", "route_labels", "routed"]


def replay(scheduler: Scheduler) -> list[int]:
    """Complete the restored steps without running them; return the steps to start.

    ``scheduler.restored`` holds the committed outputs of the whole run by node path
    (``each[3]/fetch`` inside a map), so a body run replays its own finished nodes too.
    """
    steps = scheduler.plan.steps
    work = list(scheduler.plan.roots)
    start: list[int] = []
    while work:
        index = work.pop()
        name = scheduler.names[index]
        if name in scheduler.restored:
            work.extend(scheduler.completed(steps[index], scheduler.restored[name]))
        else:
            start.append(index)
    return sorted(start)


def became_ready(scheduler: Scheduler, index: int, ready: list[int]) -> None:
    reason = scheduler.reasons[index]
    if reason is None and scheduler.absent_inputs[index] and not scheduler.present[index]:
        reason = "every input it waits for was skipped"
    if reason is None:
        ready.append(index)
    else:
        scheduler.skipping.append((index, reason))


def propagate(
    scheduler: Scheduler, step: Step, absent: Absent, ready: list[int] | None = None
) -> list[int]:
    """Tell a step's dependents that its value will never come."""
    ready = [] if ready is None else ready
    name = scheduler.names[step.index]
    for target in step.targets:
        if target.step in scheduler.joins:
            join_arrival(scheduler, target, absent, ready)
            continue
        index = target.step
        scheduler.absent_inputs[index] += 1
        if absent.failure is not None and index not in scheduler.carried:
            scheduler.carried[index] = absent
        if target.input not in scheduler.plan.steps[index].optional:
            # The lowest input names the reason, whichever branch happened to end first.
            held = scheduler.reason_input.get(index)
            if scheduler.reasons[index] is None or (held is not None and target.input < held):
                scheduler.reasons[index] = f"input `{target.input}` has no value: {absent.reason}"
                scheduler.reason_input[index] = target.input
        scheduler.pending[index] -= 1
        if scheduler.pending[index] == 0:
            became_ready(scheduler, index, ready)
    for routed in step.route_targets:
        if scheduler.reasons[routed] is None:
            scheduler.reasons[routed] = f"its router `{name}` did not run"
        scheduler.pending[routed] -= 1
        if scheduler.pending[routed] == 0:
            became_ready(scheduler, routed, ready)
    drain(scheduler, ready)
    return ready


def drain(scheduler: Scheduler, ready: list[int]) -> None:
    """Skip every step waiting to be skipped, and whatever that skips in turn."""
    while scheduler.skipping:
        index, why = scheduler.skipping.pop()
        if scheduler.statuses[index] is not NodeStatus.PENDING:
            continue
        scheduler.statuses[index] = NodeStatus.SKIPPED
        scheduler.reasons[index] = why
        if scheduler.listeners:
            scheduler.emit(NodeSkipped, node=scheduler.names[index], reason=why)
        absent = scheduler.carried.get(index) or Absent(f"`{scheduler.names[index]}` was skipped")
        propagate(scheduler, scheduler.plan.steps[index], absent, ready)


def routed(scheduler: Scheduler, step: Step, value: object, ready: list[int]) -> None:
    assert step.routes is not None
    labels = route_labels(scheduler, step, value)
    chosen: set[int] = set()
    for label in labels:
        chosen.update(step.routes[label])
    name = scheduler.names[step.index]
    if scheduler.listeners:
        scheduler.emit(
            NodeRouted,
            node=name,
            labels=labels,
            taken=tuple(scheduler.names[t] for t in step.route_targets if t in chosen),
            skipped=tuple(scheduler.names[t] for t in step.route_targets if t not in chosen),
        )
    shown = ", ".join(repr(label) for label in labels) or "no label"
    for target in step.route_targets:
        if target in chosen:
            scheduler.pending[target] -= 1
            if scheduler.pending[target] == 0:
                became_ready(scheduler, target, ready)
        else:
            if scheduler.reasons[target] is None:
                scheduler.reasons[target] = f"route not taken: `{name}` chose {shown}"
            scheduler.pending[target] -= 1
            if scheduler.pending[target] == 0:
                became_ready(scheduler, target, ready)


def route_labels(scheduler: Scheduler, step: Step, value: object) -> tuple[object, ...]:
    """The labels a router returned.

    Raises:
        RouteError: when one is not among its declared labels.
    """
    assert step.routes is not None
    labels = tuple(cast(Iterable[object], value)) if step.multi_route else (value,)
    for label in labels:
        if label not in step.routes:
            raise RouteError(
                f"router `{scheduler.names[step.index]}` returned {label!r}, which is not one "
                f"of its labels: {', '.join(repr(known) for known in step.routes)}"
            )
    return labels
