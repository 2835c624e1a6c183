"""How units are wired: the builder, the immutable compiled Graph, compile-time validation."""

from plait.graphs._builder import GraphBuilder, NodeRef, Source
from plait.graphs._graph import INPUTS, Bound, Edge, Graph, Plan, Step, Target
from plait.graphs._kinds import (
    BranchFailure,
    HumanNode,
    JoinNode,
    JoinPolicy,
    LoopNode,
    LoopResult,
    MapNode,
    SubgraphNode,
)

__all__ = [
    "INPUTS",
    "Bound",
    "BranchFailure",
    "Edge",
    "Graph",
    "GraphBuilder",
    "HumanNode",
    "JoinNode",
    "JoinPolicy",
    "LoopNode",
    "LoopResult",
    "MapNode",
    "NodeRef",
    "Plan",
    "Source",
    "Step",
    "SubgraphNode",
    "Target",
]
