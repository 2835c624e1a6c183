"""A refund that waits for a person: draft, ask for approval, then send (or drop).

plait run examples.approval:graph --input '{"amount": 30}'          # exits 3: waiting
plait resume RUN_ID --graph examples.approval:graph --input '{"approve": {"approved": true}}'
"""

from __future__ import annotations

from pydantic import BaseModel

from plait import Graph, GraphBuilder, Registry, node


class Verdict(BaseModel):
    """A person's decision on a refund."""

    approved: bool
    note: str = ""


@node
def draft(amount: int) -> str:
    """Write the refund."""
    return f"refund of {amount} EUR for order 1042"


@node
def send(text: str, verdict: Verdict) -> str:
    """Send the refund if it was approved."""
    if not verdict.approved:
        return f"dropped: {text} ({verdict.note or 'not approved'})"
    return f"sent: {text}"


def wire() -> Graph[str]:
    """Draft, ask, send."""
    builder = GraphBuilder("approval", inputs={"amount": int})
    text = builder.add(draft, inputs={"amount": "inputs.amount"})
    verdict = builder.ask(
        "approve", question="Approve the {text}?", answer=Verdict, inputs={"text": text}
    )
    return builder.build(builder.add(send, inputs={"text": text, "verdict": verdict}))


graph = wire()

registry = Registry(functions=[draft, send], types=[Verdict])
"""The names ``examples/approval.json`` uses (``--import examples.approval``)."""
