"""Node kinds made of graphs: subgraphs, maps, loops; and joins, which combine branches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from plait.graphs._graph import Graph
from plait.nodes import Node

__all__ = [
    "PATTERN_KINDS",
    "BranchFailure",
    "HumanNode",
    "JoinNode",
    "JoinPolicy",
    "LoopNode",
    "LoopResult",
    "MapNode",
    "PatternNode",
    "SubgraphNode",
]

ValueT = TypeVar("ValueT")

PATTERN_KINDS = ("chain", "parallel", "router", "orchestrator", "evaluator_optimizer")
"""The kinds of ``PatternNode``: one per builder of ``plait.graphs.patterns``."""

JoinPolicy = Literal["all", "first", "k_of_n", "collect"]
"""How a join combines its branches: wait for all, take the first, a quorum, or collect."""


@dataclass(frozen=True, slots=True)
class BranchFailure:
    """A branch that failed, as a ``collect`` join (or a collecting map) reports it."""

    node: str
    error: str
    """The exception's class name."""
    message: str
    attempts: int


@dataclass(frozen=True, slots=True)
class LoopResult(Generic[ValueT]):
    """A loop's last output and what ended it."""

    value: ValueT
    iterations: int
    stopped_by: Literal["condition", "max_iterations"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SubgraphNode(Node[object]):
    """A compiled graph used as one node: its inputs and output are the graph's."""

    graph: Graph[object]

    @property
    def kind(self) -> str:
        """Always ``"subgraph"``."""
        return "subgraph"


@dataclass(frozen=True, slots=True, kw_only=True)
class PatternNode(SubgraphNode):
    """An agent pattern (``chain``, ``parallel``, ...): a subgraph that knows what made it.

    It runs, traces and bounds as its subgraph; diagrams frame it as the pattern and specs
    write it as the pattern's kind, naming the parts it was built from.
    """

    pattern: str
    parts: tuple[tuple[str, tuple[Node[object], ...]], ...] = field(default=(), compare=False)
    """Role -> the nodes it was built from, e.g. ``("sequence", (research, write))``."""
    options: tuple[tuple[str, object], ...] = field(default=(), compare=False)
    """The pattern's other settings, JSON-ready, e.g. ``("policy", "all")``."""

    @property
    def kind(self) -> str:
        """The pattern's name: ``chain``, ``parallel``, ``router``, ..."""
        return self.pattern


@dataclass(frozen=True, slots=True, kw_only=True)
class MapNode(Node[object]):
    """Runs ``body`` once per item of the list input ``over``; outputs a list in order."""

    body: Graph[object]
    over: str
    concurrency: int | None = None
    """At most this many items run at once (``None``: no limit beyond the run's)."""
    max_items: int | None = None
    """More items than this fail the node; ``None`` leaves the map unbounded."""
    collect_failures: bool = False
    """Put a ``BranchFailure`` in an item's place instead of failing the whole map."""

    @property
    def kind(self) -> str:
        """Always ``"map"``."""
        return "map"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopNode(Node[object]):
    """Runs ``body`` again and again, its output fed back as input ``carry``."""

    body: Graph[object]
    carry: str
    until: Callable[[object], bool] | None = field(default=None, compare=False)
    """Stop once this holds for an output; ``None`` runs all ``max_iterations``."""
    max_iterations: int

    @property
    def kind(self) -> str:
        """Always ``"loop"``."""
        return "loop"


@dataclass(frozen=True, slots=True, kw_only=True)
class HumanNode(Node[object]):
    """Pauses the run until a person answers ``question``; the answer is the output.

    The question is a ``str.format`` template over the node's inputs. With a checkpoint
    store the run ends with status ``waiting``; ``resume(..., answers={id: value})``
    continues it, and nothing committed runs again.
    """

    question: str

    @property
    def kind(self) -> str:
        """Always ``"human"``."""
        return "human"


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinNode(Node[object]):
    """Combines the values of parallel branches under a policy.

    ``all`` waits for every branch that runs (skipped ones are left out) and outputs a
    dict by input name; ``first`` outputs the first value to arrive and cancels the other
    branches; ``k_of_n`` outputs a dict of the first ``k`` and cancels the rest;
    ``collect`` waits for all and puts a ``BranchFailure`` where a branch failed, so the
    run goes on.
    """

    policy: JoinPolicy = "all"
    k: int | None = None

    @property
    def kind(self) -> str:
        """Always ``"join"``."""
        return "join"
