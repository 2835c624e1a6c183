"""Routers with skip propagation, joins, maps, loops and subgraphs, run for real."""

from __future__ import annotations

import enum
from typing import Literal

import anyio
import pytest

from plait import Graph, GraphBuilder, RetryPolicy, RunContext, RunStatus, node
from plait.engine import Event, NodeCancelled, NodeRouted, NodeSkipped, NodeStarted, NodeStatus
from plait.graphs import BranchFailure, LoopResult

pytestmark = pytest.mark.anyio

Kind = Literal["billing", "tech"]


@node
def triage(ticket: str) -> Kind:
    return "billing" if "invoice" in ticket else "tech"


@node
async def billing(ticket: str) -> str:
    return f"billing handles {ticket}"


@node
async def tech(ticket: str) -> str:
    return f"tech handles {ticket}"


@node
async def reply(billing_answer: str | None = None, tech_answer: str | None = None) -> str:
    return billing_answer or tech_answer or "nobody"


@node
async def audit(answer: str) -> str:
    return f"audited: {answer}"


def _diamond(with_reply: bool = True) -> GraphBuilder:
    b = GraphBuilder("support", inputs={"ticket": str})
    router = b.add(triage, inputs={"ticket": "inputs.ticket"})
    left = b.add(billing, inputs={"ticket": "inputs.ticket"})
    right = b.add(tech, inputs={"ticket": "inputs.ticket"})
    b.add(audit, id="audit_tech", inputs={"answer": right})
    b.route(router, {"billing": left, "tech": right})
    if with_reply:
        b.add(reply, inputs={"billing_answer": left, "tech_answer": "audit_tech"})
    return b


async def test_diamond_with_one_skipped_branch() -> None:
    graph = _diamond().build("reply")
    events: list[Event] = []

    result = await graph.run({"ticket": "invoice 42"}, listeners=(events.append,))

    assert result.output == "billing handles invoice 42"
    assert result.nodes["tech"].status is NodeStatus.SKIPPED
    assert result.nodes["audit_tech"].status is NodeStatus.SKIPPED
    assert result.nodes["billing"].status is NodeStatus.SUCCEEDED
    routed = [event for event in events if isinstance(event, NodeRouted)]
    assert [(e.node, e.labels, e.taken, e.skipped) for e in routed] == [
        ("triage", ("billing",), ("billing",), ("tech",))
    ]
    skipped = {event.node: event.reason for event in events if isinstance(event, NodeSkipped)}
    assert skipped == {
        "tech": "route not taken: `triage` chose 'billing'",
        "audit_tech": "input `answer` has no value: `tech` was skipped",
    }
    started = {event.node for event in events if isinstance(event, NodeStarted)}
    assert started == {"triage", "billing", "reply"}

    other = await graph.run({"ticket": "printer on fire"})
    assert other.output == "audited: tech handles printer on fire"
    assert other.nodes["billing"].status is NodeStatus.SKIPPED


class Team(enum.Enum):
    SALES = "sales"
    LEGAL = "legal"
    OPS = "ops"


async def test_multi_route_takes_several_branches() -> None:
    @node
    def teams(ticket: str) -> set[Team]:
        return {Team.SALES, Team.LEGAL} if "contract" in ticket else {Team.OPS}

    def answer(team: str):  # type: ignore[no-untyped-def]
        async def run(ticket: str) -> str:
            return team

        return run

    @node
    async def gather(
        sales: str | None = None, legal: str | None = None, ops: str | None = None
    ) -> list[str]:
        return [item for item in (sales, legal, ops) if item is not None]

    b = GraphBuilder("multi", inputs={"ticket": str})
    router = b.add(teams, inputs={"ticket": "inputs.ticket"})
    refs = {
        team: b.add(answer(team.value), id=team.value, inputs={"ticket": "inputs.ticket"})
        for team in Team
    }
    b.route(router, {team: refs[team] for team in Team})
    graph = b.build(b.add(gather, inputs={team.value: ref for team, ref in refs.items()}))

    result = await graph.run({"ticket": "contract review"})
    assert result.output == ["sales", "legal"]
    assert result.nodes["ops"].status is NodeStatus.SKIPPED


async def test_first_join_cancels_slower_siblings() -> None:
    cancelled: list[str] = []

    def contender(name: str, delay: float):  # type: ignore[no-untyped-def]
        async def run(query: str) -> str:
            try:
                await anyio.sleep(delay)
            except anyio.get_cancelled_exc_class():
                cancelled.append(name)
                raise
            return f"{name}: {query}"

        return run

    @node
    async def after_slow(text: str) -> str:
        return text

    b = GraphBuilder("race", inputs={"query": str})
    fast = b.add(contender("fast", 0.01), id="fast", inputs={"query": "inputs.query"})
    slow = b.add(contender("slow", 30), id="slow", inputs={"query": "inputs.query"})
    slower = b.add(contender("slower", 30), id="slower", inputs={"query": "inputs.query"})
    tail = b.add(after_slow, inputs={"text": slow})
    winner = b.join("winner", inputs={"a": fast, "b": tail, "c": slower}, policy="first")
    graph = b.build(winner)
    events: list[Event] = []

    with anyio.fail_after(10):
        result = await graph.run({"query": "q"}, listeners=(events.append,))

    assert result.output == "fast: q"
    assert sorted(cancelled) == ["slow", "slower"]
    assert result.nodes["slow"].status is NodeStatus.CANCELLED
    assert result.nodes["slower"].status is NodeStatus.CANCELLED
    assert result.nodes["after_slow"].status is NodeStatus.SKIPPED
    assert {e.node for e in events if isinstance(e, NodeCancelled)} == {"slow", "slower"}


async def test_k_of_n_and_collect() -> None:
    def worker(name: str, delay: float, fails: bool = False):  # type: ignore[no-untyped-def]
        async def run(x: int) -> int:
            await anyio.sleep(delay)
            if fails:
                raise ValueError(f"{name} broke")
            return x + len(name)

        return run

    b = GraphBuilder("quorum", inputs={"x": int})
    refs = {
        name: b.add(worker(name, delay), id=name, inputs={"x": "inputs.x"})
        for name, delay in (("a", 0.01), ("bb", 0.02), ("ccc", 30))
    }
    b.join("two", inputs=refs, policy="k_of_n", k=2)
    result = await b.build("two").run({"x": 1})
    assert result.output == {"a": 2, "bb": 3}
    assert result.nodes["ccc"].status is NodeStatus.CANCELLED

    c = GraphBuilder("collected", inputs={"x": int})
    good = c.add(worker("good", 0), id="good", inputs={"x": "inputs.x"})
    bad = c.add(
        worker("bad", 0, fails=True),
        id="bad",
        retry=RetryPolicy(max_attempts=2, initial_delay=0, jitter=0),
        inputs={"x": "inputs.x"},
    )
    c.join("all_of_them", inputs={"good": good, "bad": bad}, policy="collect")
    collected = await c.build("all_of_them").run({"x": 1})
    assert collected.status is RunStatus.SUCCEEDED
    assert collected.output == {
        "good": 5,
        "bad": BranchFailure(node="bad", error="ValueError", message="bad broke", attempts=2),
    }


async def test_all_join_leaves_out_skipped_branches() -> None:
    b = _diamond(with_reply=False)
    b.join("both", inputs={"billing": "billing", "tech": "audit_tech"})
    graph = b.build("both")
    assert graph.output_type == dict[str, str]
    result = await graph.run({"ticket": "invoice"})
    assert result.output == {"billing": "billing handles invoice"}


@node
def improve(draft: str, rounds: int) -> str:
    return draft + "!"


def _improver() -> Graph[str]:
    inner = GraphBuilder("improver", inputs={"draft": str, "rounds": int})
    return inner.build(
        inner.add(improve, inputs={"draft": "inputs.draft", "rounds": "inputs.rounds"})
    )


async def test_loop_ends_by_condition_and_by_maximum() -> None:
    body = _improver()

    def loop_graph(until: int) -> GraphBuilder:
        b = GraphBuilder("loop", inputs={"draft": str, "rounds": int})
        b.loop(
            body,
            id="revise",
            carry="draft",
            max_iterations=5,
            until=lambda text: text.count("!") >= until,
            inputs={"draft": "inputs.draft", "rounds": "inputs.rounds"},
        )
        return b

    by_condition = await loop_graph(2).build("revise").run({"draft": "hi", "rounds": 0})
    assert by_condition.output == LoopResult("hi!!", 2, "condition")
    by_maximum = await loop_graph(99).build("revise").run({"draft": "hi", "rounds": 0})
    assert by_maximum.output == LoopResult("hi!!!!!", 5, "max_iterations")


async def test_map_keeps_item_order_under_a_limit() -> None:
    running = 0
    peak = 0

    @node
    async def measure(word: str, suffix: str) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.01 * (5 - len(word)))
        running -= 1
        return len(word + suffix)

    b = GraphBuilder("lengths", inputs={"words": list[str], "suffix": str})
    b.map(
        measure,
        id="each",
        over="word",
        concurrency=2,
        max_items=10,
        inputs={"word": "inputs.words", "suffix": "inputs.suffix"},
    )
    graph = b.build("each")
    assert graph.output_type == list[int]

    result = await graph.run({"words": ["a", "bbbb", "cc", "ddd"], "suffix": "?"})
    assert result.output == [2, 5, 3, 4]
    assert peak == 2

    too_many = await graph.run({"words": ["x"] * 11, "suffix": ""})
    assert too_many.status is RunStatus.FAILED
    assert "got 11 items for `word`; its max_items is 10" in str(too_many.error)


async def test_map_item_failure_fails_or_is_collected() -> None:
    @node
    async def parse(text: str) -> int:
        return int(text)

    def mapped(collect: bool) -> Graph[list[int]]:
        b = GraphBuilder("parse", inputs={"texts": list[str]})
        each = b.map(
            parse, id="each", over="text", collect_failures=collect, inputs={"text": "inputs.texts"}
        )
        return b.build(each)

    failed = await mapped(False).run({"texts": ["1", "x", "3"]})
    assert failed.status is RunStatus.FAILED
    collected = await mapped(True).run({"texts": ["1", "x", "3"]})
    items: list[object] = list(collected.output)  # with collect_failures: int | BranchFailure
    assert items[0] == 1
    assert items[2] == 3
    failure = items[1]
    assert isinstance(failure, BranchFailure)
    assert failure.error == "ValueError"
    assert failure.node == "each[1]/parse"


async def test_subgraph_in_map_in_loop_has_nested_paths() -> None:
    seen: list[str] = []

    @node
    async def shout(word: str, context: RunContext) -> str:
        seen.append(context.node)
        return word.upper()

    @node
    def first_letter(words: list[str]) -> str:
        return words[0][:1]

    inner = GraphBuilder("inner", inputs={"word": str})
    inner.add(shout, inputs={"word": "inputs.word"})
    inner_graph = inner.build("shout")

    mapper = GraphBuilder("mapper", inputs={"words": list[str]})
    mapper.map(inner_graph, id="each", over="word", inputs={"word": "inputs.words"})
    mapper_graph = mapper.build("each")

    outer = GraphBuilder("outer", inputs={"words": list[str]})
    outer.loop(
        mapper_graph, id="again", carry="words", max_iterations=2, inputs={"words": "inputs.words"}
    )
    graph = outer.build("again")
    events: list[Event] = []

    result = await graph.run({"words": ["a", "b"]}, listeners=(events.append,))

    assert result.output == LoopResult(["A", "B"], 2, "max_iterations")
    expected = [f"again[{i}]/each[{j}]/shout" for i in range(2) for j in range(2)]
    assert sorted(seen) == expected
    started = sorted(event.node for event in events if isinstance(event, NodeStarted))
    assert started == sorted(["again", "again[0]/each", "again[1]/each", *expected])
    assert graph.bound.executions is None  # the map has no max_items

    bounded = GraphBuilder("bounded", inputs={"words": list[str]})
    bounded.map(inner_graph, id="each", over="word", max_items=3, inputs={"word": "inputs.words"})
    looped = GraphBuilder("looped", inputs={"words": list[str]})
    again = looped.loop(
        bounded.build("each"),
        id="again",
        carry="words",
        max_iterations=4,
        inputs={"words": "inputs.words"},
    )
    letter = looped.add(first_letter, inputs={"words": "inputs.words"})
    sub = looped.add(inner_graph, id="sub", inputs={"word": letter})
    looped.join("both", inputs={"loop": again, "sub": sub})
    bound = looped.build("both").bound
    # loop: 4 iterations x 3 items x 1 node; first_letter, the subgraph's node, the join
    assert (bound.executions, bound.attempts) == (4 * 3 * 1 + 1 + 1 + 1, 15)
    assert str(bound) == "at most 15 node executions (15 attempts)"


async def test_map_items_retry_under_the_body_policy() -> None:
    calls: dict[int, int] = {}

    @node(retry=RetryPolicy(max_attempts=3, initial_delay=0, jitter=0))
    async def flaky_double(x: int) -> int:
        calls[x] = calls.get(x, 0) + 1
        if x % 2 and calls[x] < 3:
            raise ConnectionError(f"item {x} flaked")
        return 2 * x

    b = GraphBuilder("retrying-map", inputs={"xs": list[int]})
    graph = b.build(b.map(flaky_double, id="each", over="x", inputs={"x": "inputs.xs"}))

    result = await graph.run({"xs": [1, 2, 3]})

    assert result.output == [2, 4, 6]
    assert calls == {1: 3, 2: 1, 3: 3}
