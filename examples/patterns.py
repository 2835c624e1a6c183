"""Agent patterns nest: a router sends a question to a chain or to a debating panel.

Runs offline on scripted models (one run per process; each model has a short script):

    plait run examples.patterns:graph --input '{"message": "Should we adopt plait?"}'
    plait render examples.patterns:graph -o docs/patterns-desk.svg --direction TB
"""

from __future__ import annotations

import json

from plait.graphs.patterns import chain, parallel, router
from plait.nodes import ScriptedModel, agent

__all__ = ["graph"]

essay = chain(
    "essay",
    agent("research", model=ScriptedModel(["three facts"]), instructions="Find facts."),
    agent("write", model=ScriptedModel(["an essay"]), instructions="Write an essay."),
    description="Writes an essay on a topic",
)
panel = parallel(
    "panel",
    [
        agent("optimist", model=ScriptedModel(["yes, because it is typed"])),
        agent("sceptic", model=ScriptedModel(["no, it is new"])),
    ],
    fan_in=agent(
        "chair",
        model=ScriptedModel([lambda request: "On balance: yes (2 views heard)"]),
        instructions="Weigh the views and decide.",
    ),
    description="Debates a yes/no question and decides",
)
choice = {"agent": "panel", "confidence": "high", "reasoning": "a yes/no question"}
graph = router("desk", [essay, panel], model=ScriptedModel([json.dumps(choice)]))
