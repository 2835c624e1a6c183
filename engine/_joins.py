"""Joins: a join decides by policy when it has enough, and cancels what it no longer needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plait.engine._events import NodeSkipped
from plait.engine._result import NodeStatus
from plait.engine._step_values import Absent, JoinUnsatisfiedError
from plait.graphs import BranchFailure, JoinNode, Step, Target

if TYPE_CHECKING:
    from plait.engine._scheduler import Scheduler

__all__ = ["fire", "join_arrival", "join_value"]


def join_arrival(scheduler: Scheduler, target: Target, value: object, ready: list[int]) -> None:
    index = target.step
    scheduler.pending[index] -= 1
    if index in scheduler.fired:
        return
    arrived = scheduler.joins[index]
    if isinstance(value, Absent):
        if value.failure is not None:
            arrived[target.input] = value.failure
    else:
        arrived[target.input] = value if target.getter is None else target.getter(value)
    step = scheduler.plan.steps[index]
    node = step.node
    assert isinstance(node, JoinNode)
    values = sum(1 for item in arrived.values() if not isinstance(item, BranchFailure))
    if node.policy in ("first", "k_of_n") and values >= step.join_need:
        fire(scheduler, index, ready)
    elif scheduler.pending[index] == 0:
        if not arrived:
            scheduler.skipping.append((index, "every branch it joins was skipped"))
        else:
            fire(scheduler, index, ready)


def fire(scheduler: Scheduler, index: int, ready: list[int]) -> None:
    scheduler.fired.add(index)
    ready.append(index)
    arrived = scheduler.joins[index]
    for item in scheduler.plan.steps[index].node.inputs:
        if item.name in arrived:
            continue
        for member in scheduler.regions.get((index, item.name), ()):
            scope = scheduler.scopes.get(member)
            if scope is not None:
                scope.cancel()
            elif scheduler.statuses[member] is NodeStatus.PENDING:
                scheduler.abandoned.add(member)
                scheduler.statuses[member] = NodeStatus.SKIPPED
                scheduler.reasons[member] = f"cancelled: join `{scheduler.names[index]}` decided"
                if scheduler.listeners:
                    scheduler.emit(
                        NodeSkipped, node=scheduler.names[member], reason=scheduler.reasons[member]
                    )


def join_value(scheduler: Scheduler, step: Step) -> object:
    node = step.node
    assert isinstance(node, JoinNode)
    arrived = scheduler.joins[step.index]
    ordered = {item.name: arrived[item.name] for item in node.inputs if item.name in arrived}
    if node.policy == "first":
        for item in ordered.values():
            if not isinstance(item, BranchFailure):
                return item
    if node.policy == "k_of_n":
        values = [item for item in ordered.values() if not isinstance(item, BranchFailure)]
        if len(values) < step.join_need:
            raise JoinUnsatisfiedError(
                f"join `{scheduler.names[step.index]}` needs {step.join_need} values, "
                f"got {len(values)}"
            )
        kept = [name for name, item in ordered.items() if not isinstance(item, BranchFailure)]
        return {name: ordered[name] for name in kept[: step.join_need]}
    return ordered
