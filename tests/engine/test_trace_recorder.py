"""What a trace records: statuses, attempts and errors, inputs, routing, skips, reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import anyio
import pytest

from plait import GraphBuilder, RetryPolicy, RunContext, RunOptions, node
from plait.engine import (
    ManualClock,
    NodeStatus,
    RouteDecision,
    RunStatus,
    TracedCall,
    TracedError,
    TraceRecorder,
    run,
    trace,
)

pytestmark = pytest.mark.anyio

OPTIONS = RunOptions(clock=ManualClock(), run_id="01run")


@dataclass(frozen=True)
class Page:
    title: str
    body: str


@node
async def fetch(url: str) -> Page:
    return Page(title=url.upper(), body=f"text of {url}")


@node
async def count(text: str) -> int:
    return len(text.split())


async def test_a_recorder_passed_as_listener_builds_the_trace() -> None:
    b = GraphBuilder("pages", inputs={"url": str})
    page = b.add(fetch, inputs={"url": "inputs.url"})
    graph = b.build(b.add(count, inputs={"text": page.field("body")}))
    recorder = TraceRecorder(graph)

    result = await run(graph, {"url": "a.org"}, options=OPTIONS, listeners=(recorder,))
    found = recorder.trace()

    assert result.output == 3
    assert found.graph == "pages"
    assert found.status is RunStatus.SUCCEEDED
    assert found.inputs == {"url": "a.org"}
    assert found.output == 3
    assert found.error is None
    first, second = found.nodes
    assert (first.node, first.status, first.attempts) == ("fetch", NodeStatus.SUCCEEDED, 1)
    assert first.inputs == {"url": "a.org"}
    assert first.output == {"body": "text of a.org", "title": "A.ORG"}
    assert second.inputs == {"text": "text of a.org"}  # the selected field, as delivered
    assert second.output == 3


async def test_a_recorder_starts_afresh_for_each_run_and_needs_one() -> None:
    b = GraphBuilder("count", inputs={"text": str})
    graph = b.build(b.add(count, inputs={"text": "inputs.text"}))
    recorder = TraceRecorder(graph)
    with pytest.raises(RuntimeError, match="no finished run of graph `count` to trace"):
        recorder.trace()

    await run(graph, {"text": "a b"}, listeners=(recorder,))
    await run(graph, {"text": "a b c"}, listeners=(recorder,))

    assert recorder.trace().output == 3
    assert len(recorder.trace().nodes) == 1


async def test_retries_record_each_failed_attempt_and_calls_by_attempt() -> None:
    @node(retry=RetryPolicy(max_attempts=3, jitter=0))
    async def flaky(x: int, context: RunContext) -> int:
        context.emit("llm_request", {"attempt": context.attempt, "prompt": f"x={x}"})
        context.emit("token", {"text": "partial"})
        if context.attempt < 3:
            raise TimeoutError(f"slow provider, try {context.attempt}")
        context.emit("llm_response", {"text": str(x * 2)})
        return x * 2

    b = GraphBuilder("flaky", inputs={"x": int})
    graph = b.build(b.add(flaky, inputs={"x": "inputs.x"}))

    _, found = await trace(graph, {"x": 4}, options=OPTIONS)

    (only,) = found.nodes
    assert only.attempts == 3
    assert [(error.attempt, error.type, error.message) for error in only.errors] == [
        (1, "TimeoutError", "slow provider, try 1"),
        (2, "TimeoutError", "slow provider, try 2"),
    ]
    assert only.calls == (
        TracedCall(attempt=1, kind="llm_request", data={"attempt": 1, "prompt": "x=4"}),
        TracedCall(attempt=2, kind="llm_request", data={"attempt": 2, "prompt": "x=4"}),
        TracedCall(attempt=3, kind="llm_request", data={"attempt": 3, "prompt": "x=4"}),
        TracedCall(attempt=3, kind="llm_response", data={"text": "8"}),
    )


async def test_a_failed_run_records_the_failure_and_the_cancelled_sibling() -> None:
    @node
    async def boom(x: int) -> int:
        await anyio.sleep(0.01)
        raise ValueError(f"bad input {x}")

    @node
    async def slow(x: int) -> int:
        await anyio.sleep(30)
        return x

    @node
    async def both(a: int, b: int) -> int:
        return a + b

    b = GraphBuilder("failing", inputs={"x": int})
    one = b.add(boom, inputs={"x": "inputs.x"})
    two = b.add(slow, inputs={"x": "inputs.x"})
    graph = b.build(b.add(both, inputs={"a": one, "b": two}))

    with anyio.fail_after(10):
        result, found = await trace(graph, {"x": 1}, options=OPTIONS)

    assert result.status is RunStatus.FAILED
    assert found.status is RunStatus.FAILED
    assert found.error == TracedError(
        type="NodeFailedError",
        message="run <run-id>: node `boom` failed after 1 attempt: ValueError: bad input 1",
    )
    assert {item.node: item.status for item in found.nodes} == {
        "boom": NodeStatus.FAILED,
        "slow": NodeStatus.CANCELLED,
    }
    assert found.node("boom").errors[0].message == "bad input 1"
    assert found.output is None
    assert "output" not in found.to_dict()


async def test_routes_and_skips_with_their_reasons() -> None:
    @node
    def triage(ticket: str) -> Literal["billing", "tech"]:
        return "billing" if "invoice" in ticket else "tech"

    @node
    async def billing(ticket: str) -> str:
        return f"billing: {ticket}"

    @node
    async def tech(ticket: str) -> str:
        return f"tech: {ticket}"

    @node
    async def audit(answer: str) -> str:
        return answer

    b = GraphBuilder("support", inputs={"ticket": str})
    router = b.add(triage, inputs={"ticket": "inputs.ticket"})
    bill = b.add(billing, inputs={"ticket": "inputs.ticket"})
    help_desk = b.add(tech, inputs={"ticket": "inputs.ticket"})
    audited = b.add(audit, inputs={"answer": help_desk})
    b.route(router, {"billing": bill, "tech": help_desk})
    graph = b.build(b.join("answer", inputs={"billing": bill, "tech": audited}))

    _, found = await trace(graph, {"ticket": "invoice 42"}, options=OPTIONS)

    assert found.node("triage").route == RouteDecision(
        labels=("billing",), taken=("billing",), skipped=("tech",)
    )
    tech_node = found.node("tech")
    assert tech_node.status is NodeStatus.SKIPPED
    assert tech_node.reason == "route not taken: `triage` chose 'billing'"
    assert tech_node.inputs is None
    assert tech_node.attempts == 0
    assert found.node("audit").reason == "input `answer` has no value: `tech` was skipped"
    assert found.node("answer").inputs == {"billing": "billing: invoice 42"}
    assert found.output == {"billing": "billing: invoice 42"}


async def test_a_waiting_human_node_is_recorded_as_waiting() -> None:
    @node
    async def draft(amount: int) -> str:
        return f"refund {amount}"

    @node
    async def send(text: str, verdict: bool) -> str:
        return text

    b = GraphBuilder("refund", inputs={"amount": int})
    text = b.add(draft, inputs={"amount": "inputs.amount"})
    verdict = b.ask("approve", question="Approve '{text}'?", answer=bool, inputs={"text": text})
    graph = b.build(b.add(send, inputs={"text": text, "verdict": verdict}))

    _, found = await trace(graph, {"amount": 30}, options=OPTIONS)

    assert found.status is RunStatus.WAITING
    assert [(item.node, item.status) for item in found.nodes] == [
        ("draft", NodeStatus.SUCCEEDED),
        ("approve", NodeStatus.WAITING),
    ]
    assert found.node("approve").inputs == {"text": "refund 30"}
    assert found.error is not None


async def test_collected_failures_are_values_in_the_trace() -> None:
    @node
    async def parse(text: str) -> int:
        return int(text)

    b = GraphBuilder("parse", inputs={"texts": list[str]})
    graph = b.build(
        b.map(parse, id="each", over="text", collect_failures=True, inputs={"text": "inputs.texts"})
    )

    _, found = await trace(graph, {"texts": ["1", "x"]}, options=OPTIONS)

    assert found.status is RunStatus.SUCCEEDED
    assert [(item.node, item.status.value) for item in found.nodes] == [
        ("each", "succeeded"),
        ("each[0]/parse", "succeeded"),
        ("each[1]/parse", "failed"),
    ]
    assert found.output == [
        1,
        {
            "attempts": 1,
            "error": "ValueError",
            "message": "invalid literal for int() with base 10: 'x'",
            "node": "each[1]/parse",
        },
    ]


async def test_nested_paths_sort_by_position_then_index_numerically() -> None:
    @node
    async def double(x: int) -> int:
        await anyio.sleep(0.001 * (12 - x))  # later items finish first
        return x * 2

    b = GraphBuilder("many", inputs={"xs": list[int]})
    graph = b.build(b.map(double, id="each", over="x", inputs={"x": "inputs.xs"}))

    _, found = await trace(graph, {"xs": list(range(12))}, options=OPTIONS)

    assert [item.node for item in found.nodes] == [
        "each",
        *(f"each[{index}]/double" for index in range(12)),  # each[10] after each[9]
    ]
    assert found.node("each[11]/double").inputs == {"x": 11}
