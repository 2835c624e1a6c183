"""The agent patterns run offline on scripted models, on asyncio and trio."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from plait import GraphBuilder, RunStatus, node
from plait.engine import RunOptions, open_store, resume, trace
from plait.graphs import Graph, PatternNode
from plait.graphs.patterns import (
    Evaluation,
    Plan,
    PlanError,
    QualityRating,
    Refined,
    chain,
    evaluator_optimizer,
    orchestrator,
    parallel,
    router,
)
from plait.nodes import ScriptedModel, agent

pytestmark = pytest.mark.anyio


def _echo(prefix: str) -> ScriptedModel:
    """A model answering ``prefix(<the user's message>)``, as often as asked."""
    return ScriptedModel([lambda request: f"{prefix}({request.messages[-1].text})"] * 20)


def _rated(*ratings: str) -> list[str]:
    return [
        json.dumps({"rating": r, "feedback": f"was {r}", "needs_improvement": r != "excellent"})
        for r in ratings
    ]


@node
def shout(text: str) -> str:
    return text.upper()


async def test_a_chain_feeds_each_output_into_the_next_input() -> None:
    graph = chain(
        "pipeline",
        agent("research", model=_echo("facts")),
        agent("write", model=_echo("essay")),
        shout,
    )
    result, traced = await trace(graph, {"message": "cats"})
    assert result.output == "ESSAY(FACTS(CATS))"
    assert traced.node("pipeline/write").inputs == {"message": "facts(cats)"}


async def test_a_chain_added_to_a_graph_is_one_pattern_node_not_a_nested_wrapper() -> None:
    inner = chain("pipeline", agent("research", model=_echo("facts")), shout)
    builder = GraphBuilder("outer", inputs={"message": str})
    step = builder.add(inner, id="steps", inputs={"message": "inputs.message"})
    graph = builder.build(step)
    assert isinstance(graph.nodes["steps"], PatternNode)
    result, traced = await trace(graph, {"message": "dogs"})
    assert result.output == "FACTS(DOGS)"
    assert traced.node("steps/research").output == "facts(dogs)"


def test_a_chain_of_nothing_or_of_a_two_input_step_is_refused() -> None:
    with pytest.raises(ValueError, match="`sequence` is empty"):
        chain("empty")

    def both(a: str, b: str) -> str:
        return a + b

    with pytest.raises(ValueError, match="step `both` must take exactly one input"):
        chain("bad", agent("first", model=_echo("x")), both)


async def test_parallel_fans_the_same_input_out_and_joins_by_agent() -> None:
    graph = parallel(
        "panel", [agent("optimist", model=_echo("yes")), agent("pessimist", model=_echo("no"))]
    )
    result = await graph.run({"message": "rain?"})
    assert result.output == {"optimist": "yes(rain?)", "pessimist": "no(rain?)"}


async def test_parallel_fans_in_to_an_aggregator_with_every_response() -> None:
    judge = ScriptedModel([lambda request: request.messages[-1].text])
    graph = parallel(
        "panel",
        [agent("optimist", model=_echo("yes")), agent("pessimist", model=_echo("no"))],
        fan_in=agent("judge", model=judge),
    )
    result = await graph.run({"message": "rain?"})
    text = str(result.output)
    assert "<fastagent:request>\nrain?\n</fastagent:request>" in text
    assert '<fastagent:response agent="optimist">\nyes(rain?)\n</fastagent:response>' in text
    assert text.index("optimist") < text.index("pessimist")


async def test_parallel_runs_the_branches_at_the_same_time() -> None:
    met = anyio.Event()

    @node
    async def left(message: str) -> str:
        met.set()
        return "left"

    @node
    async def right(message: str) -> str:
        with anyio.fail_after(5):
            await met.wait()  # deadlocks unless `left` runs alongside
        return "right"

    graph = parallel("both", [right, left])
    assert (await graph.run({"message": "go"})).output == {"right": "right", "left": "left"}


async def test_a_router_hands_the_request_to_the_chosen_agent_and_traces_why() -> None:
    choice = {"agent": "billing", "confidence": "high", "reasoning": "it is about money"}
    routing = ScriptedModel([json.dumps(choice)])
    billing = agent("billing", model=_echo("refund"), description="Invoices and refunds")
    support = agent("support", model=_echo("reboot"), description="Technical problems")
    graph = router("desk", [billing, support], model=routing)
    result, traced = await trace(graph, {"message": "refund me"})
    assert result.output == "refund(refund me)"
    assert traced.node("desk/route").output == choice  # the trace keeps why, JSON-ready
    assert traced.node("desk/decide").inputs == {"choice": choice}
    assert traced.node("desk/support").status.value == "skipped"
    system = routing.requests[0].system
    assert "- billing: Invoices and refunds" in system
    assert "- support: Technical problems" in system


async def test_a_router_naming_no_agent_fails_saying_which() -> None:
    wrong = json.dumps({"agent": "sales", "confidence": "low"})
    graph = router(
        "desk",
        [agent("a", model=_echo("a")), agent("b", model=_echo("b"))],
        model=ScriptedModel([wrong]),
    )
    result = await graph.run({"message": "hi"})
    assert result.status is RunStatus.FAILED
    assert "chose `sales`, which is not one of the agents (a, b)" in str(result.error)


async def test_a_router_of_one_agent_asks_no_model() -> None:
    routing = ScriptedModel([])
    graph = router("desk", [agent("only", model=_echo("done"))], model=routing)
    assert (await graph.run({"message": "x"})).output == "done(x)"
    assert routing.requests == []
    assert graph.bound.llm_calls == 3  # the agent's three attempts, no router


def _planner(*plans: object) -> ScriptedModel:
    return ScriptedModel([json.dumps(plan) for plan in plans])


def _team(
    planner: ScriptedModel,
    *,
    iterative: bool = False,
    plan_iterations: int = 3,
    max_plan_errors: int = 2,
) -> Graph[str]:
    return orchestrator(
        "team",
        agent("planner", model=planner, output=Plan),
        [
            agent("researcher", model=_echo("facts"), description="finds facts"),
            agent("writer", model=_echo("draft"), description="writes prose"),
        ],
        agent("editor", model=ScriptedModel([lambda r: "final: " + r.messages[-1].text])),
        iterative=iterative,
        plan_iterations=plan_iterations,
        max_plan_errors=max_plan_errors,
    )


async def test_an_orchestrator_runs_the_plan_then_synthesises() -> None:
    plan = {"tasks": [{"worker": "researcher", "task": "t1"}, {"worker": "writer", "task": "t2"}]}
    graph = _team(_planner(plan))
    result, traced = await trace(graph, {"message": "an essay"})
    answer = str(result.output)
    assert answer.startswith("final: Objective: an essay")
    assert "<result worker='researcher' task='t1'>" in answer
    assert "facts(You are helping with this objective: an essay" in answer
    assert traced.node("team/rounds").output["iterations"] == 1  # type: ignore[index]


async def test_an_iterative_orchestrator_replans_from_results_until_complete() -> None:
    first = {"tasks": [{"worker": "researcher", "task": "look"}]}
    second = {"tasks": [{"worker": "writer", "task": "write"}], "complete": True}
    planner = _planner(first, second)
    result = await _team(planner, iterative=True, plan_iterations=5).run({"message": "go"})
    assert "<result worker='writer' task='write'>" in str(result.output)
    assert "Done by researcher: look" in planner.requests[1].messages[-1].text
    assert planner.remaining == 0


async def test_a_plan_naming_an_unknown_worker_goes_back_to_the_planner() -> None:
    bad = {"tasks": [{"worker": "poet", "task": "rhyme"}]}
    good = {"tasks": [{"worker": "writer", "task": "write"}]}
    planner = _planner(bad, good)
    result = await _team(planner).run({"message": "go"})
    assert result.status is RunStatus.SUCCEEDED
    retold = planner.requests[1].messages[-1].text
    assert "rejected: unknown worker `poet` (the workers are researcher, writer)" in retold


async def test_a_planner_that_keeps_naming_unknown_workers_fails_when_the_bound_is_spent() -> None:
    bad = {"tasks": [{"worker": "poet", "task": "rhyme"}]}
    result = await _team(_planner(bad, bad), max_plan_errors=1).run({"message": "go"})
    assert result.status is RunStatus.FAILED
    causes: list[BaseException] = []
    error: BaseException | None = result.error
    while error is not None:
        causes.append(error)
        error = error.__cause__
    assert isinstance(causes[-1], PlanError)  # under the pattern's, loop's and check's
    assert "rejected 2 times, the last for unknown worker `poet`" in str(result.error)


async def test_evaluator_optimizer_refines_until_the_rating_is_reached() -> None:
    writer = agent("writer", model=ScriptedModel(["draft 1", "draft 2", "draft 3"]))
    critic = agent("critic", model=ScriptedModel(_rated("poor", "good")), output=Evaluation)
    graph = evaluator_optimizer("polish", writer, critic, min_rating=QualityRating.GOOD)
    result = await graph.run({"message": "a haiku"})
    refined = result.output
    assert isinstance(refined, Refined)
    assert (refined.answer, refined.rating, refined.rounds) == ("draft 2", QualityRating.GOOD, 2)
    assert refined.stopped_by == "rating"
    second = writer.model.requests[1].messages[-1].text  # type: ignore[union-attr]
    assert "draft 1" in second
    assert "Rating: poor" in second
    assert "was poor" in second


async def test_evaluator_optimizer_returns_the_best_answer_when_rounds_run_out() -> None:
    writer = agent("writer", model=ScriptedModel(["a", "b", "c"]))
    critic = agent("critic", model=ScriptedModel(_rated("fair", "poor", "fair")), output=Evaluation)
    graph = evaluator_optimizer("polish", writer, critic, max_refinements=2)
    refined = (await graph.run({"message": "x"})).output
    assert (refined.answer, refined.rounds, refined.stopped_by) == ("a", 3, "max_refinements")


def test_evaluator_optimizer_needs_a_typed_evaluator() -> None:
    with pytest.raises(ValueError, match="evaluator `critic` must return Evaluation"):
        evaluator_optimizer("p", agent("w", model=_echo("w")), agent("critic", model=_echo("c")))


def test_each_pattern_bounds_its_model_calls() -> None:
    one = agent("one", model=_echo("x"), retry=None)
    two = agent("two", model=_echo("y"), retry=None)
    assert chain("c", one, two).bound.llm_calls == 2
    assert parallel("p", [one, two]).bound.llm_calls == 2
    assert router("r", [one, two], model=_echo("r")).bound.llm_calls == 3 * 2 + 2  # + route
    typed = agent("critic", model=_echo("c"), output=Evaluation, retry=None)
    # 4 rounds of a generator call and an evaluator call (1, and 1 to repair its reply)
    assert evaluator_optimizer("e", one, typed, max_refinements=3).bound.llm_calls == 4 * 3
    planner = agent("plan", model=_echo("p"), output=Plan, retry=None)
    team = orchestrator("o", planner, [one, two], agent("s", model=_echo("s"), retry=None))
    # (1 plan + 2 error turns) x (planner 2 + 5 tasks x 2 workers) + the synthesiser
    assert team.bound.llm_calls == 3 * (2 + 5 * 2) + 1


async def test_an_orchestrators_tasks_of_one_plan_run_at_the_same_time() -> None:
    met = anyio.Event()

    @node
    async def first(message: str) -> str:
        met.set()
        return "one"

    @node
    async def second(message: str) -> str:
        with anyio.fail_after(5):
            await met.wait()  # deadlocks unless `first` runs alongside
        return "two"

    plan = {"tasks": [{"worker": "second", "task": "b"}, {"worker": "first", "task": "a"}]}
    editor = agent("editor", model=ScriptedModel([lambda r: r.messages[-1].text]))
    graph = orchestrator(
        "team", agent("p", model=_planner(plan), output=Plan), [first, second], editor
    )
    answer = str((await graph.run({"message": "go"})).output)
    assert answer.index("two") < answer.index("one")  # results in plan order


def _polish(writer: ScriptedModel, critic: ScriptedModel) -> Graph[Refined[str]]:
    return evaluator_optimizer(
        "polish",
        agent("writer", model=writer, retry=None),
        agent("critic", model=critic, output=Evaluation, retry=None),
    )


async def test_a_pattern_run_resumes_from_its_store_without_repeating_a_call(
    tmp_path: Path,
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    await store.open()
    try:
        broken = ScriptedModel([*_rated("poor"), ValueError("the critic's server fell over")])
        first = await _polish(ScriptedModel(["draft 1", "draft 2"]), broken).run(
            {"message": "a haiku"}, options=RunOptions(store=store)
        )
        assert first.status is RunStatus.FAILED
        writer = ScriptedModel([])  # every answer of the writer is already committed
        resumed = await resume(
            _polish(writer, ScriptedModel(_rated("excellent"))), first.run_id, store=store
        )
    finally:
        await store.close()
    assert resumed.status is RunStatus.SUCCEEDED
    assert (resumed.output.answer, resumed.output.rounds) == ("draft 2", 2)
    assert writer.requests == []


async def test_patterns_nest_a_pattern_is_a_member_of_another() -> None:
    essay = chain("essay", agent("write", model=_echo("essay")), description="Writes essays")
    panel = parallel("panel", [agent("pro", model=_echo("yes"))], description="Debates")
    choice = json.dumps({"agent": "essay", "confidence": "medium"})
    routing = ScriptedModel([choice])
    desk = router("desk", [essay, panel], model=routing)
    result, traced = await trace(desk, {"message": "owls"})
    assert result.output == "essay(owls)"
    assert traced.node("desk/essay/write").output == "essay(owls)"
    assert "- essay: Writes essays\n- panel: Debates" in routing.requests[0].system
