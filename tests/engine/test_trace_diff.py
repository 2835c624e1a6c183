"""Comparing traces node by node: empty when equal, a readable text when not."""

from __future__ import annotations

import dataclasses
from typing import Literal

import pytest

from plait import Graph, GraphBuilder, RunContext, node
from plait.engine import NodeStatus, RunStatus, Trace, TraceChange, diff, trace

pytestmark = pytest.mark.anyio


def _support(prefix: str) -> Graph[object]:
    @node
    def triage(ticket: str) -> Literal["billing", "tech"]:
        return "billing" if "invoice" in ticket else "tech"

    @node
    async def billing(ticket: str, context: RunContext) -> str:
        context.emit("tool_call", {"name": "lookup", "arguments": {"ticket": ticket}})
        context.emit("tool_result", {"name": "lookup", "content": "paid"})
        return f"{prefix}: {ticket}"

    @node
    async def tech(ticket: str) -> str:
        return f"tech: {ticket}"

    b = GraphBuilder("support", inputs={"ticket": str})
    router = b.add(triage, inputs={"ticket": "inputs.ticket"})
    bill = b.add(billing, inputs={"ticket": "inputs.ticket"})
    help_desk = b.add(tech, inputs={"ticket": "inputs.ticket"})
    b.route(router, {"billing": bill, "tech": help_desk})
    return b.build(b.join("answer", inputs={"billing": bill, "tech": help_desk}))


async def test_equal_traces_have_an_empty_diff() -> None:
    _, first = await trace(_support("billing"), {"ticket": "invoice 1"})
    _, second = await trace(_support("billing"), {"ticket": "invoice 1"})

    changes = diff(first, second)

    assert not changes
    assert len(changes) == 0
    assert changes.text == ""


async def test_a_changed_output_is_shown_node_by_node() -> None:
    _, before = await trace(_support("billing"), {"ticket": "invoice 1"})
    _, after = await trace(_support("refunds"), {"ticket": "invoice 1"})

    changes = diff(before, after)

    assert [(change.node, change.field) for change in changes] == [
        ("billing", "output"),
        ("answer", "inputs"),
        ("answer", "output"),
        (None, "output"),
    ]
    assert changes.text == (
        'node `billing`: output changed: "billing: invoice 1" -> "refunds: invoice 1"\n'
        "node `answer`: inputs changed:\n"
        '  - {"billing": "billing: invoice 1"}\n'
        '  + {"billing": "refunds: invoice 1"}\n'
        "node `answer`: output changed:\n"
        '  - {"billing": "billing: invoice 1"}\n'
        '  + {"billing": "refunds: invoice 1"}\n'
        "run: output changed:\n"
        '  - {"billing": "billing: invoice 1"}\n'
        '  + {"billing": "refunds: invoice 1"}\n'
    )
    assert str(changes) == changes.text


async def test_a_different_route_shows_the_decision_and_the_skips() -> None:
    _, before = await trace(_support("billing"), {"ticket": "invoice 1"})
    _, after = await trace(_support("billing"), {"ticket": "wifi down"})

    text = diff(before, after).text

    assert 'node `triage`: output changed: "billing" -> "tech"\n' in text
    assert "node `triage`: route changed:\n" in text
    assert '  + {"labels": ["tech"], "taken": ["tech"], "skipped": ["billing"]}\n' in text
    assert (
        "node `billing`: status changed: succeeded -> skipped "
        "(route not taken: `triage` chose 'tech')\n"
    ) in text
    assert (
        "node `tech`: status changed: skipped (route not taken: `triage` chose 'billing') -> "
        "succeeded\n"
    ) in text
    assert "node `billing`: output" not in text  # a node that did not run: its status says it


async def test_changed_calls_show_only_their_data_and_long_values_as_a_unified_diff() -> None:
    _, before = await trace(_support("billing"), {"ticket": "invoice 1"})
    billing = before.node("billing")
    changed_call = dataclasses.replace(
        billing.calls[1], data={"content": "refunded\nin full\ntoday", "name": "lookup"}
    )
    long_output = {f"line {index}": "x" * 20 for index in range(4)}
    after = dataclasses.replace(
        before,
        nodes=tuple(
            dataclasses.replace(item, calls=(item.calls[0], changed_call), output=long_output)
            if item.node == "billing"
            else item
            for item in before.nodes
        ),
    )

    text = diff(before, after).text

    assert "node `billing`: call 2 (tool_result) changed:\n" in text
    assert '  - {"content": "paid", "name": "lookup"}\n' in text
    assert '  + {"content": "refunded\\nin full\\ntoday", "name": "lookup"}\n' in text
    assert "node `billing`: output changed:\n  @@ " in text
    assert '  +  "line 3": "xxxxxxxxxxxxxxxxxxxx"\n' in text


def test_nodes_only_in_one_trace_are_added_or_removed_in_trace_order() -> None:
    from plait.engine import NodeTrace

    def run_of(*paths: str) -> Trace:
        nodes = tuple(
            NodeTrace(node=path, status=NodeStatus.SUCCEEDED, attempts=1, output=1)
            for path in paths
        )
        return Trace(graph="g", status=RunStatus.SUCCEEDED, inputs={}, output=1, nodes=nodes)

    changes = diff(run_of("a", "each", "each[0]/x", "z"), run_of("a", "each", "each[1]/x", "z"))

    assert list(changes) == [
        TraceChange(
            node="each[0]/x",
            field="node",
            before={"node": "each[0]/x", "status": "succeeded", "attempts": 1, "output": 1},
            after=None,
        ),
        TraceChange(
            node="each[1]/x",
            field="node",
            before=None,
            after={"node": "each[1]/x", "status": "succeeded", "attempts": 1, "output": 1},
        ),
    ]
    assert changes.text == (
        "node `each[0]/x`: removed (was succeeded)\nnode `each[1]/x`: added (succeeded)\n"
    )
