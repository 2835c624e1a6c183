"""How units are wired: the builder, the immutable compiled Graph, compile-time validation,
and JSON specs (load, dump, the registry of names a spec may use)."""

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
from plait.graphs._outline import Outline, OutlineNode, outline
from plait.graphs._rebuild import with_nodes
from plait.graphs.spec._errors import SpecError
from plait.graphs.spec._io import SPEC_VERSION, dump, load, spec_schema
from plait.graphs.spec._limits import SpecLimits
from plait.graphs.spec._registry import Registry

__all__ = [
    "INPUTS",
    "SPEC_VERSION",
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
    "Outline",
    "OutlineNode",
    "Plan",
    "Registry",
    "Source",
    "SpecError",
    "SpecLimits",
    "Step",
    "SubgraphNode",
    "Target",
    "dump",
    "load",
    "outline",
    "spec_schema",
    "with_nodes",
]
