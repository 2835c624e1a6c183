"""A multi-branch agent graph, snapshot-tested through the plugin's fixtures."""

from __future__ import annotations

from typing import Literal

from plait import Graph, GraphBuilder
from plait.engine import Trace
from plait.nodes import Message, ScriptedModel, ToolCall, agent, tool
from plait.pytest_plugin import TraceRunner

TICKET = {"ticket": "I was charged twice for invoice 7"}


@tool
def find_invoice(number: int) -> str:
    """Look an invoice up by its number."""
    return f"invoice {number}: 2 charges of 30 EUR"


def triage_graph() -> Graph[object]:
    """An LLM router, a tool-using agent on the chosen branch, and a parallel agent."""
    classify = agent(
        "classify",
        model=ScriptedModel(['{"value": "billing"}'], name="scripted.router"),
        inputs={"ticket": str},
        output=Literal["billing", "tech"],
        instructions="Route the ticket to billing or tech.",
    )
    billing = agent(
        "billing",
        model=ScriptedModel(
            [
                Message.assistant(ToolCall("call_1", "find_invoice", {"number": 7})),
                "Invoice 7 was charged twice; the second charge is refunded.",
            ],
            name="scripted.billing",
        ),
        inputs={"ticket": str},
        tools=[find_invoice],
        instructions="Resolve billing tickets. Look invoices up before answering.",
    )
    tech = agent(
        "tech",
        model=ScriptedModel(["Have you tried turning it off and on?"], name="scripted.tech"),
        inputs={"ticket": str},
    )
    mood = agent(
        "mood",
        model=ScriptedModel(["annoyed"], name="scripted.mood"),
        inputs={"ticket": str},
        instructions="One word: the customer's mood.",
    )
    b = GraphBuilder("triage", inputs={"ticket": str})
    router = b.add(classify, inputs={"ticket": "inputs.ticket"})
    billed = b.add(billing, inputs={"ticket": "inputs.ticket"})
    fixed = b.add(tech, inputs={"ticket": "inputs.ticket"})
    felt = b.add(mood, inputs={"ticket": "inputs.ticket"})
    b.route(router, {"billing": billed, "tech": fixed})
    return b.build(b.join("reply", inputs={"billing": billed, "tech": fixed, "mood": felt}))


def test_the_triage_trace_matches_its_snapshot(
    plait_trace: TraceRunner, trace_snapshot: object
) -> None:
    on_asyncio = plait_trace.run_sync(triage_graph(), TICKET, backend="asyncio")
    on_trio = plait_trace.run_sync(triage_graph(), TICKET, backend="trio")

    assert on_asyncio == on_trio
    assert on_asyncio.to_json() == on_trio.to_json()
    assert on_asyncio == trace_snapshot


def test_the_trace_names_the_route_the_tool_call_and_the_skip(plait_trace: TraceRunner) -> None:
    found: Trace = plait_trace.run_sync(triage_graph(), TICKET)

    assert plait_trace.result.ok
    assert found.node("classify").output == "billing"
    assert found.node("tech").status.value == "skipped"
    kinds = [call.kind for call in found.node("billing").calls]
    assert "tool_call" in kinds
    assert "tool_result" in kinds
    assert "token" not in kinds
