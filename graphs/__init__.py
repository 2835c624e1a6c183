"""How units are wired: the builder, the immutable compiled Graph, compile-time validation,
JSON specs (load, dump, the registry of names a spec may use), and agent patterns."""

from plait.graphs._builder import GraphBuilder, NodeRef, Source
from plait.graphs._graph import INPUTS, Bound, Edge, Graph, Plan, Step, Target
from plait.graphs._kinds import (
    PATTERN_KINDS,
    BranchFailure,
    HumanNode,
    JoinNode,
    JoinPolicy,
    LoopNode,
    LoopResult,
    MapNode,
    PatternNode,
    SubgraphNode,
)
from plait.graphs._outline import Outline, OutlineNode, outline
from plait.graphs._rebuild import with_nodes
from plait.graphs.patterns import chain, evaluator_optimizer, orchestrator, parallel, router
from plait.graphs.spec._errors import SpecError
from plait.graphs.spec._io import SPEC_VERSION, dump, load, spec_schema
from plait.graphs.spec._limits import SpecLimits
from plait.graphs.spec._registry import Registry

__all__ = [
    "INPUTS",
    "PATTERN_KINDS",
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
    "PatternNode",
    "Plan",
    "Registry",
    "Source",
    "SpecError",
    "SpecLimits",
    "Step",
    "SubgraphNode",
    "Target",
    "chain",
    "dump",
    "evaluator_optimizer",
    "load",
    "orchestrator",
    "outline",
    "parallel",
    "router",
    "spec_schema",
    "with_nodes",
]
