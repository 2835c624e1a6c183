"""The README's agent example runs offline: a router, a tool, recorded replies."""

from __future__ import annotations

import pytest

from examples.triage import billing, graph, lookup_invoice, triage
from plait.engine import Event, NodeReported

pytestmark = pytest.mark.anyio


async def test_the_triage_graph_routes_calls_a_tool_and_answers() -> None:
    events: list[Event] = []

    result = await graph.run(
        {"ticket": "I was charged twice for INV-1042"}, listeners=(events.append,)
    )

    assert result.output.startswith("Invoice INV-1042 was charged twice")
    assert result.nodes["tech"].status.value == "skipped"
    reported = [(e.node, e.kind, dict(e.data)) for e in events if isinstance(e, NodeReported)]
    assert (
        "billing",
        "tool_result",
        {
            "id": "call_1",
            "name": "lookup_invoice",
            "is_error": False,
            "content": '{"invoice": "INV-1042", "amount": 49.0, "charges": 2}',
        },
    ) in reported
    again = await graph.run({"ticket": "I was charged twice for INV-1042"})
    assert again.output == result.output  # every run replays from the start


async def test_the_router_replays_the_recording_of_each_ticket() -> None:
    result = await graph.run({"ticket": "The app crashes on start"})

    assert result.output == "Please update to version 2.4.1, which fixes the crash on start."
    assert result.nodes["billing"].status.value == "skipped"


def test_the_agents_declare_what_the_graph_checks() -> None:
    assert triage.kind == billing.kind == "agent"
    assert billing.tools == (lookup_invoice,)
    assert graph.routes["triage"] == {"billing": ("billing",), "tech": ("tech",)}
