"""Support triage: an LLM router picks a team; the billing agent uses a tool.

Runs offline: each agent replays a recorded conversation (the ``playback`` model) from
``examples/playback/``; the router has one recording per ticket (``triage_router/``), so
"I was charged twice for INV-1042" goes to billing and "The app crashes on start" to tech
(another ticket has no recording: record one, or swap in a real model with ``--model
sonnet`` or ``gpt-5.5`` once an API key is configured).

    plait run examples.triage:graph --input '{"ticket": "I was charged twice for INV-1042"}'
    plait run examples.triage:graph --input '{"ticket": "The app crashes on start"}'
    plait run examples/triage.json --import examples.triage \\
        --input '{"ticket": "The app crashes on start"}'
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from plait import Graph, GraphBuilder, Registry, node
from plait.nodes import ModelCatalog, PlaitConfig, agent, tool

# Offline: playback histories are read relative to this folder.
models = ModelCatalog(PlaitConfig(base_dir=Path(__file__).parent / "playback"))


class Invoice(BaseModel):
    """What the billing system knows about an invoice."""

    invoice: str
    amount: float
    charges: int


@tool
def lookup_invoice(invoice: str) -> Invoice:
    """Look up an invoice by its number.

    Args:
        invoice: The invoice number, such as INV-1042.
    """
    return Invoice(invoice=invoice, amount=49.0, charges=2)


triage = agent(
    "triage",
    model="playback?history=triage_router",
    models=models,
    instructions="Route the support ticket to the team that can solve it.",
    inputs={"ticket": str},
    output=Literal["billing", "tech"],
)

billing = agent(
    "billing",
    model="playback?history=triage_billing.yaml",
    models=models,
    instructions="You are the billing team. Check invoices before answering.",
    inputs={"ticket": str},
    tools=[lookup_invoice],
)

tech = agent(
    "tech",
    model="playback?history=triage_tech.yaml",
    models=models,
    instructions="You are the technical support team.",
    inputs={"ticket": str},
)


@node
def reply(billing: str | None = None, tech: str | None = None) -> str:
    """The answer of whichever team handled the ticket."""
    return billing or tech or "No team could answer."


def wire() -> Graph[str]:
    """Wire the triage graph: route, answer, reply."""
    builder = GraphBuilder("triage", inputs={"ticket": str})
    team = builder.add(triage, inputs={"ticket": "inputs.ticket"})
    money = builder.add(billing, inputs={"ticket": "inputs.ticket"})
    support = builder.add(tech, inputs={"ticket": "inputs.ticket"})
    builder.route(team, {"billing": money, "tech": support})
    return builder.build(builder.add(reply, inputs={"billing": money, "tech": support}))


graph = wire()

registry = Registry(functions=[reply], agents=[triage, billing, tech])
"""The names ``examples/triage.json`` uses (``--import examples.triage``)."""
