"""``orchestrator``: a planner writes a typed plan naming workers, the plan's tasks run in
parallel, a synthesiser writes the answer; iteratively, the planner re-plans from results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, overload

from plait.graphs._builder import GraphBuilder
from plait.graphs._graph import INPUTS, Graph
from plait.graphs.patterns._common import Member, as_node, as_nodes, single_input, step, wrap
from plait.graphs.patterns._planning import (
    Orchestration,
    Plan,
    PlanError,
    Task,
    TaskResult,
    checker,
    planning_prompt,
    recorder,
    synthesis_prompt,
    task_body,
)
from plait.nodes import Node

__all__ = ["Orchestration", "Plan", "PlanError", "Task", "TaskResult", "orchestrator"]

OutputT = TypeVar("OutputT")


@overload
def orchestrator(
    name: str,
    /,
    planner: Member,
    workers: Sequence[Member],
    synthesiser: Node[OutputT],
    *,
    iterative: bool = False,
    plan_iterations: int = 3,
    max_tasks: int = 5,
    max_plan_errors: int = 2,
    description: str = "",
) -> Graph[OutputT]: ...
@overload
def orchestrator(
    name: str,
    /,
    planner: Member,
    workers: Sequence[Member],
    synthesiser: Member,
    *,
    iterative: bool = False,
    plan_iterations: int = 3,
    max_tasks: int = 5,
    max_plan_errors: int = 2,
    description: str = "",
) -> Graph[object]: ...
def orchestrator(
    name: str,
    /,
    planner: Member,
    workers: Sequence[Member],
    synthesiser: Member,
    *,
    iterative: bool = False,
    plan_iterations: int = 3,
    max_tasks: int = 5,
    max_plan_errors: int = 2,
    description: str = "",
) -> Graph[Any]:
    """Plan, run the plan's tasks (all at once), then synthesise the answer.

    The planner takes one ``str`` input and returns a ``Plan``: tasks, each naming one of
    ``workers`` by id. Each task goes to its worker (one ``str`` input) as a brief; tasks
    of one plan run in parallel, at most ``max_tasks`` of them. With ``iterative`` the
    planner sees the results and plans again, until it marks the plan ``complete`` or
    ``plan_iterations`` plans have run. A plan naming an unknown worker (or too many tasks)
    goes back to the planner with the error, at most ``max_plan_errors`` times; one more
    fails the run with ``PlanError``. The synthesiser (one input) gets the objective and
    every result and writes the answer.

    Raises:
        ValueError: for no workers, a member without exactly one input, a planner that
            does not return ``Plan``, or a bound below 1 (``max_plan_errors`` below 0).
    """
    where = f"orchestrator `{name}`"
    plan_node, write = as_node(planner), as_node(synthesiser)
    team = as_nodes(workers, "workers", where)
    planned = single_input(plan_node, "planner", where)
    for worker in team:
        single_input(worker, "worker", where)
    written = single_input(write, "synthesiser", where)
    if plan_node.output is not Plan:
        raise ValueError(f"{where}: planner `{plan_node.id}` must return Plan (output=Plan)")
    rounds = plan_iterations if iterative else 1
    if min(rounds, max_tasks, max_plan_errors + 1) < 1:
        raise ValueError(f"{where}: plan_iterations and max_tasks must be >= 1")
    listing = tuple((worker.id, worker.description) for worker in team)
    body = GraphBuilder(f"{name}_round", inputs={"state": Orchestration})
    state = f"{INPUTS}.state"
    prompt = body.add(step(planning_prompt(listing, rounds), "prompt"), inputs={"state": state})
    plan = body.add(plan_node, inputs={planned.name: prompt})
    check = body.add(
        step(checker(listing, max_tasks, max_plan_errors), "check"),
        inputs={"state": state, "plan": plan},
    )
    results = body.map(
        task_body(f"{name}_task", team),
        over="task",
        id="tasks",
        inputs={"task": check.field("tasks"), "objective": check.field("state.objective")},
        max_items=max_tasks,
    )
    record = body.add(
        step(recorder(rounds), "record"), inputs={"checked": check, "results": results}
    )
    builder = GraphBuilder(name, inputs={"message": str})
    start = builder.add(step(_start, "start"), inputs={"message": f"{INPUTS}.message"})
    loop = builder.loop(
        body.build(record),
        carry="state",
        max_iterations=rounds + max_plan_errors,
        until=_complete,
        id="rounds",
        inputs={"state": start},
    )
    brief = builder.add(step(synthesis_prompt, "brief"), inputs={"result": loop})
    answer = builder.add(write, inputs={written.name: brief})
    parts = {"planner": (plan_node,), "workers": team, "synthesiser": (write,)}
    options = {
        "iterative": iterative,
        "plan_iterations": plan_iterations,
        "max_tasks": max_tasks,
        "max_plan_errors": max_plan_errors,
    }
    return wrap("orchestrator", builder.build(answer), parts, options, description)


def _start(message: str) -> Orchestration:
    return Orchestration(message)


def _complete(state: Orchestration) -> bool:
    return state.complete
