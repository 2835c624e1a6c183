"""Durable runs: committed outputs never rerun; resume, answer, fork, refuse changes."""

from __future__ import annotations

import dataclasses
from collections import Counter

import anyio
import pytest
from pydantic import BaseModel

from plait import GraphBuilder, RunContext, RunOptions, RunStatus, node
from plait.engine import Event, NodeFinished, NodeStatus, NodeWaiting
from plait.engine._durable import RunWaitingError
from plait.engine._graph_change import GraphChangedError
from plait.engine._resume import fork, resume
from plait.engine.stores._memory import MemoryStore
from plait.engine.stores._protocol import CorruptRecordError, RunLockedError, StoredStatus

pytestmark = pytest.mark.anyio


class Verdict(BaseModel):
    approved: bool
    note: str = ""


def _fan(calls: Counter[str], broken: set[str]):  # type: ignore[no-untyped-def]
    """Ten parallel branches into a join; the names in ``broken`` fail while they are."""

    def branch(name: str):  # type: ignore[no-untyped-def]
        async def work(x: int) -> int:
            calls[name] += 1
            if name in broken:
                raise RuntimeError(f"{name} is broken")
            return x + int(name[1:])

        return work

    @node
    async def total(values: dict[str, int]) -> int:
        calls["total"] += 1
        return sum(values.values())

    b = GraphBuilder("fan", inputs={"x": int})
    refs = {
        f"b{i}": b.add(branch(f"b{i}"), id=f"b{i}", inputs={"x": "inputs.x"}) for i in range(10)
    }
    b.join("all", inputs=refs)
    return b.build(b.add(total, inputs={"values": "all"}))


async def test_a_fixed_branch_resumes_without_rerunning_its_siblings() -> None:
    store = MemoryStore()
    await store.open()
    calls: Counter[str] = Counter()
    broken = {"b3"}
    graph = _fan(calls, broken)

    first = await graph.run({"x": 1}, options=RunOptions(store=store, run_id="r1"))
    assert first.status is RunStatus.FAILED
    stored = await store.load("r1")
    assert stored is not None
    assert stored.run.status is StoredStatus.FAILED
    finished = {name for name, count in calls.items() if count and name != "b3"}
    committed = set(stored.outputs)
    assert committed == finished  # what finished before the failure cancelled the rest
    assert [f.node for f in stored.failures] == ["b3"]

    broken.clear()
    before = Counter(calls)
    second = await resume(graph, "r1", store=store)

    assert second.output == 10 + sum(range(10))
    rerun = {name for name in calls if calls[name] != before[name]}
    assert rerun == ({f"b{i}" for i in range(10)} - finished) | {"total"}
    assert all(calls[name] == 1 for name in finished)
    assert second.nodes["b0"].status is NodeStatus.SUCCEEDED


async def test_human_input_waits_and_resumes_with_a_checked_answer() -> None:
    store = MemoryStore()
    await store.open()
    calls: Counter[str] = Counter()

    @node
    async def draft(amount: int) -> str:
        calls["draft"] += 1
        return f"refund {amount}"

    @node
    async def send(text: str, verdict: Verdict) -> str:
        calls["send"] += 1
        return f"{text}: {'sent' if verdict.approved else 'dropped'} {verdict.note}".strip()

    b = GraphBuilder("refund", inputs={"amount": int})
    text = b.add(draft, inputs={"amount": "inputs.amount"})
    verdict = b.ask("approve", question="Approve '{text}'?", answer=Verdict, inputs={"text": text})
    graph = b.build(b.add(send, inputs={"text": text, "verdict": verdict}))

    events: list[Event] = []
    waiting = await graph.run(
        {"amount": 30}, options=RunOptions(store=store, run_id="h1"), listeners=(events.append,)
    )
    asked = [(e.node, e.question) for e in events if isinstance(e, NodeWaiting)]
    assert asked == [("approve", "Approve 'refund 30'?")]
    assert not any(isinstance(e, NodeFinished) and e.node == "approve" for e in events)

    assert waiting.status is RunStatus.WAITING
    assert isinstance(waiting.error, RunWaitingError)
    (question,) = waiting.error.questions
    assert (question.node, question.question) == ("approve", "Approve 'refund 30'?")
    assert question.schema["properties"] == Verdict.model_json_schema()["properties"]
    stored = await store.load("h1")
    assert stored is not None
    assert stored.run.status is StoredStatus.WAITING

    with pytest.raises(ValueError, match="approve"):
        await resume(graph, "h1", store=store, answers={"approve": {"approved": "perhaps"}})
    with pytest.raises(Exception, match="not a question this run asked"):
        await resume(graph, "h1", store=store, answers={"send": {"approved": True}})

    done = await resume(graph, "h1", store=store, answers={"approve": {"approved": True}})

    assert done.output == "refund 30: sent"
    assert calls == {"draft": 1, "send": 1}


async def test_fork_replaces_an_output_and_reruns_only_what_follows() -> None:
    store = MemoryStore()
    await store.open()
    calls: Counter[str] = Counter()

    @node
    async def fetch(x: int) -> int:
        calls["fetch"] += 1
        return x * 10

    @node
    async def score(value: int) -> int:
        calls["score"] += 1
        return value + 1

    @node
    async def report(value: int, scored: int) -> str:
        calls["report"] += 1
        return f"{value}/{scored}"

    b = GraphBuilder("forkable", inputs={"x": int})
    fetched = b.add(fetch, inputs={"x": "inputs.x"})
    scored = b.add(score, inputs={"value": fetched})
    graph = b.build(b.add(report, inputs={"value": fetched, "scored": scored}))
    original = await graph.run({"x": 2}, options=RunOptions(store=store, run_id="f1"))
    assert original.output == "20/21"

    forked = await fork(graph, "f1", store=store, outputs={"score": 99})

    assert forked.output == "20/99"
    assert forked.run_id != "f1"
    assert calls == {"fetch": 1, "score": 1, "report": 2}
    stored = await store.load(forked.run_id)
    assert stored is not None
    assert stored.run.parent_run == "f1"
    again = await fork(graph, "f1", store=store, at="fetch")
    assert again.output == "20/21"
    assert calls["fetch"] == 2


async def test_resume_under_a_changed_graph_is_refused_unless_forced() -> None:
    store = MemoryStore()
    await store.open()

    @node
    async def one(x: int) -> int:
        return x

    @node
    async def two(x: int) -> int:
        return x + 1

    first = GraphBuilder("changing", inputs={"x": int})
    first.add(one, inputs={"x": "inputs.x"})
    graph = first.build("one")
    await graph.run({"x": 1}, options=RunOptions(store=store, run_id="c1"))
    second = GraphBuilder("changing", inputs={"x": int})
    second.add(one, timeout=5, inputs={"x": "inputs.x"})
    second.add(two, inputs={"x": "one"})
    changed = second.build("two")

    with pytest.raises(GraphChangedError) as raised:
        await resume(changed, "c1", store=store)
    assert "node `two` added" in str(raised.value)
    assert "node `one` changed (timeout)" in str(raised.value)
    forced = await resume(changed, "c1", store=store, force=True)
    assert forced.output == 2
    assert forced.nodes["one"].attempts == 0  # restored, not rerun


async def test_two_resumes_at_once_have_one_winner() -> None:
    store = MemoryStore()
    await store.open()
    gate = anyio.Event()

    async def slow(x: int, context: RunContext) -> int:
        if context.attempt and not gate.is_set():
            await gate.wait()
        return x

    b = GraphBuilder("locked", inputs={"x": int})
    b.add(slow, id="slow", inputs={"x": "inputs.x"})
    graph = b.build("slow")
    options = RunOptions(store=store, run_id="l1")
    outcomes: list[object] = []

    async def attempt() -> None:
        try:
            outcomes.append((await resume(graph, "l1", store=store)).output)
        except RunLockedError as error:
            outcomes.append(error)
            gate.set()

    with anyio.move_on_after(0.05):
        await graph.run({"x": 4}, options=dataclasses.replace(options, lease=0.01))
    await anyio.sleep(0.05)  # the crashed holder's lease expires
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(attempt)
            group.start_soon(attempt)
    assert sorted(map(type, outcomes), key=str) == sorted([int, RunLockedError], key=str)
    assert "is held by" in str(next(o for o in outcomes if isinstance(o, RunLockedError)))


async def test_idempotency_key_is_stable_across_retry_and_resume() -> None:
    store = MemoryStore()
    await store.open()
    keys: list[str] = []
    fail = {"on": True}

    async def effect(x: int, context: RunContext) -> int:
        keys.append(context.idempotency_key)
        if fail["on"]:
            raise RuntimeError("down")
        return x

    b = GraphBuilder("idem", inputs={"x": int})
    b.add(effect, id="effect", inputs={"x": "inputs.x"})
    graph = b.build("effect")
    await graph.run({"x": 1}, options=RunOptions(store=store, run_id="i1"))
    fail["on"] = False
    await resume(graph, "i1", store=store)
    assert len(keys) == 2
    assert keys[0] == keys[1]


@pytest.mark.parametrize("mode", ["sync", "async", "exit"])
async def test_every_durability_mode_commits_every_output(mode: str) -> None:
    store = MemoryStore()
    await store.open()
    calls: Counter[str] = Counter()
    graph = _fan(calls, set())
    options = RunOptions(store=store, run_id="d1", durability=mode)  # type: ignore[arg-type]

    result = await graph.run({"x": 0}, options=options)

    assert result.ok
    stored = await store.load("d1")
    assert stored is not None
    assert set(stored.outputs) == {f"b{i}" for i in range(10)} | {"all", "total"}


async def test_a_corrupted_output_is_an_error_naming_run_and_node() -> None:
    store = MemoryStore()
    await store.open()
    calls: Counter[str] = Counter()
    graph = _fan(calls, {"b9"})
    await graph.run({"x": 1}, options=RunOptions(store=store, run_id="x1"))
    stored = store._outputs["x1"]
    name = sorted(stored)[0]
    stored[name] = dataclasses.replace(stored[name], data=b'"not an int"')

    with pytest.raises(CorruptRecordError) as raised:
        await resume(graph, "x1", store=store)
    assert raised.value.run_id == "x1"
    assert raised.value.node == name
