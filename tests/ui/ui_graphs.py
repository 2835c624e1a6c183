"""Graphs the viewer's tests run: hostile values, a question, a node that waits for the test."""

from __future__ import annotations

import threading

from pydantic import BaseModel

from plait import Graph, GraphBuilder, node

HOSTILE = (
    "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"> & done"
)
"""Renders as harmless text when escaped; changes the page's title if it ever runs."""

RELEASE = threading.Event()
"""Set by a test to let ``slow`` finish."""


@node
def shout(text: str) -> str:
    """Say the text back, hostile or not."""
    return text


@node
def explode(text: str) -> str:
    """Fail with the text in the message."""
    raise ValueError(text)


def hostile_graph() -> Graph[str]:
    """One node that returns its input."""
    builder = GraphBuilder("hostile", inputs={"text": str})
    return builder.build(builder.add(shout, inputs={"text": "inputs.text"}))


def failing_graph() -> Graph[str]:
    """One node that fails with its input as the message."""
    builder = GraphBuilder("failing", inputs={"text": str})
    return builder.build(builder.add(explode, inputs={"text": "inputs.text"}))


class Verdict(BaseModel):
    """A person's decision."""

    approved: bool


@node
def draft(amount: int) -> str:
    """Write the refund."""
    return f"refund of {amount} EUR"


@node
def send(text: str, verdict: Verdict) -> str:
    """Send it if approved."""
    return f"sent: {text}" if verdict.approved else f"dropped: {text}"


def approval_graph() -> Graph[str]:
    """Draft, ask, send."""
    builder = GraphBuilder("approval", inputs={"amount": int})
    text = builder.add(draft, inputs={"amount": "inputs.amount"})
    verdict = builder.ask(
        "approve", question="Approve the {text}?", answer=Verdict, inputs={"text": text}
    )
    return builder.build(builder.add(send, inputs={"text": text, "verdict": verdict}))


@node
def first(value: int) -> int:
    """Quick."""
    return value + 1


@node
def slow(value: int) -> int:
    """Waits until the test sets ``RELEASE`` (at most a minute)."""
    RELEASE.wait(60)
    return value * 2


def slow_graph() -> Graph[int]:
    """A quick node, then a slow one."""
    builder = GraphBuilder("slow", inputs={"value": int})
    quick = builder.add(first, inputs={"value": "inputs.value"})
    return builder.build(builder.add(slow, inputs={"value": quick}))


hostile = hostile_graph()
failing = failing_graph()
approval = approval_graph()
slowly = slow_graph()
