"""Agent patterns as typed subgraph builders: chain, parallel, router, orchestrator and
evaluator-optimizer, each built from plait's own control flow (maps, loops, routes, joins).

Each returns a ``Graph`` to run on its own or to ``add()`` to a bigger graph, where it is a
pattern node: traced as a subgraph, framed in diagrams, written to specs by its kind.
"""

from plait.graphs.patterns._chain import chain
from plait.graphs.patterns._evaluator import (
    Evaluation,
    QualityRating,
    Refined,
    Refinement,
    evaluator_optimizer,
)
from plait.graphs.patterns._orchestrator import (
    Orchestration,
    Plan,
    PlanError,
    Task,
    TaskResult,
    orchestrator,
)
from plait.graphs.patterns._parallel import fan_in_text, parallel
from plait.graphs.patterns._router import ROUTING_INSTRUCTIONS, RouteChoice, router

__all__ = [
    "ROUTING_INSTRUCTIONS",
    "Evaluation",
    "Orchestration",
    "Plan",
    "PlanError",
    "QualityRating",
    "Refined",
    "Refinement",
    "RouteChoice",
    "Task",
    "TaskResult",
    "chain",
    "evaluator_optimizer",
    "fan_in_text",
    "orchestrator",
    "parallel",
    "router",
]
