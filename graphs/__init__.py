"""How units are wired: the builder, the immutable compiled Graph, compile-time validation."""

from plait.graphs._builder import GraphBuilder, NodeRef, Source
from plait.graphs._graph import INPUTS, Edge, Graph, Plan, Step, Target

__all__ = [
    "INPUTS",
    "Edge",
    "Graph",
    "GraphBuilder",
    "NodeRef",
    "Plan",
    "Source",
    "Step",
    "Target",
]
