"""The orchestrator's plan types and the small steps around its planner and workers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from plait.graphs._builder import GraphBuilder
from plait.graphs._graph import INPUTS, Graph
from plait.graphs._kinds import LoopResult
from plait.graphs.patterns._common import as_text, step
from plait.nodes import Input, Node

__all__ = [
    "Orchestration",
    "Plan",
    "PlanError",
    "Task",
    "TaskResult",
    "checker",
    "planning_prompt",
    "recorder",
    "synthesis_prompt",
    "task_body",
]

Workers = tuple[tuple[str, str], ...]
"""(worker id, description) of each worker, in order."""


class PlanError(ValueError):
    """The planner kept naming workers that do not exist (or too many tasks)."""


@dataclass(frozen=True, slots=True)
class Task:
    """One task of a plan: which worker does it, and what it is asked."""

    worker: str
    task: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What the planner returns: tasks to run now (in parallel), and whether it is done."""

    tasks: tuple[Task, ...] = ()
    complete: bool = False


@dataclass(frozen=True, slots=True)
class TaskResult:
    """A task and what its worker returned."""

    worker: str
    task: str
    result: Any


@dataclass(frozen=True, slots=True)
class Orchestration:
    """The orchestrator's state between plans: results so far, plans run, plan errors."""

    objective: str
    plans: int = 0
    results: tuple[TaskResult, ...] = ()
    errors: int = 0
    error: str = ""
    """What was wrong with the last plan, told to the planner on its next turn."""
    complete: bool = False


@dataclass(frozen=True, slots=True)
class _Checked:
    """The state after checking a plan, and the tasks to run (none after an error)."""

    state: Orchestration
    tasks: list[Task] = field(default_factory=list)
    complete: bool = False


def planning_prompt(workers: Workers, rounds: int) -> Callable[[Orchestration], str]:
    """The function writing the planner's request from the state."""

    def prompt(state: Orchestration) -> str:
        """The objective, the workers, the results so far and the last plan's error."""
        listing = "\n".join(f"- {wid}: {text or 'no description'}" for wid, text in workers)
        lines = [
            f"Objective: {state.objective}",
            f"Workers (name a task's worker exactly as written):\n{listing}",
            f"Planning round {state.plans + 1} of {rounds}.",
        ]
        for item in state.results:
            lines.append(f"Done by {item.worker}: {item.task}\nResult: {as_text(item.result)}")
        if state.error:
            lines.append(f"Your last plan was rejected: {state.error}. Write a corrected plan.")
        lines.append("Return the tasks to run now, and complete=true once the objective is met.")
        return "\n\n".join(lines)

    return prompt


def checker(
    workers: Workers, max_tasks: int, max_errors: int
) -> Callable[[Orchestration, Plan], _Checked]:
    """The function checking a plan: known workers, not too many tasks."""
    known = [wid for wid, _ in workers]

    def check(state: Orchestration, plan: Plan) -> _Checked:
        """The plan's tasks; a bad plan becomes an error for the planner's next turn.

        Raises:
            PlanError: when the planner has erred more than the bound allows.
        """
        unknown = sorted({task.worker for task in plan.tasks} - set(known))
        error = ""
        if unknown:
            names = ", ".join(f"`{name}`" for name in unknown)
            error = f"unknown worker {names} (the workers are {', '.join(known)})"
        elif len(plan.tasks) > max_tasks:
            error = f"{len(plan.tasks)} tasks, more than the {max_tasks} a plan may have"
        if not error:
            cleared = replace(state, error="")
            return _Checked(cleared, list(plan.tasks), plan.complete)
        if state.errors >= max_errors:
            raise PlanError(
                f"the planner's plan was rejected {state.errors + 1} times, the last for "
                f"{error}; allow more with max_plan_errors=..., or describe the workers better"
            )
        return _Checked(replace(state, errors=state.errors + 1, error=error))

    return check


def recorder(rounds: int) -> Callable[[_Checked, list[TaskResult]], Orchestration]:
    """The function adding a plan's results to the state."""

    def record(checked: _Checked, results: list[TaskResult]) -> Orchestration:
        """The next state: complete when the planner says so or plans run out."""
        state = checked.state
        if state.error:
            return state
        plans = state.plans + 1
        done = checked.complete or plans >= rounds
        return replace(state, plans=plans, results=(*state.results, *results), complete=done)

    return record


def synthesis_prompt(result: LoopResult[Orchestration]) -> str:
    """The synthesiser's request: the objective and every result."""
    state = result.value
    lines = [f"Objective: {state.objective}", "Write the final answer from these results."]
    for item in state.results:
        lines.append(f"<result worker={item.worker!r} task={item.task!r}>\n")
        lines[-1] += f"{as_text(item.result)}\n</result>"
    return "\n\n".join(lines)


def task_body(name: str, workers: Sequence[Node[object]]) -> Graph[object]:
    """The graph one task runs in: routed to its worker, which gets a brief."""
    ids = tuple(worker.id for worker in workers)
    builder = GraphBuilder(name, inputs={"task": Task, "objective": str})
    brief = builder.add(
        step(_brief, "brief"),
        inputs={"task": f"{INPUTS}.task", "objective": f"{INPUTS}.objective"},
    )
    pick = replace(step(_pick, "pick"), output=Literal[ids])
    builder.add(pick, inputs={"task": f"{INPUTS}.task"})
    for worker in workers:
        builder.add(worker, inputs={worker.inputs[0].name: brief})
    builder.route("pick", {wid: wid for wid in ids})
    joined = builder.join("join", inputs={wid: wid for wid in ids})
    done = replace(
        step(_result, "result"),
        inputs=(Input("task", Task), Input("answers", Mapping[str, object])),
    )
    result = builder.add(done, inputs={"task": f"{INPUTS}.task", "answers": joined})
    return builder.build(result)


def _brief(task: Task, objective: str) -> str:
    return f"You are helping with this objective: {objective}\n\nYour task: {task.task}"


def _pick(task: Task) -> str:
    return task.worker


def _result(task: Task, answers: Mapping[str, Any]) -> TaskResult:
    (value,) = answers.values()
    return TaskResult(task.worker, task.task, value)
