"""The compiled graph: immutable, validated, hashable, ready to run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from plait.nodes import Node, RetryPolicy

if TYPE_CHECKING:
    from plait.engine import EventListener, RunHandle, RunOptions, RunResult

__all__ = ["INPUTS", "Bound", "Edge", "Graph", "Plan", "Step", "Target"]

OutputT_co = TypeVar("OutputT_co", covariant=True)

INPUTS = "inputs"
"""The reserved source name of graph inputs: ``inputs.topic`` is the graph input ``topic``."""

Getter = Callable[[object], object]


@dataclass(frozen=True, slots=True, order=True)
class Edge:
    """Carries ``source`` (a node's output, or a field path of it) into ``target.input``.

    A graph input is the source ``inputs`` with its name as the field: ``inputs.topic``.
    """

    source: str
    field: str | None
    target: str
    input: str

    @property
    def source_ref(self) -> str:
        """The source as written: ``node`` or ``node.field``."""
        return self.source if self.field is None else f"{self.source}.{self.field}"

    @property
    def target_ref(self) -> str:
        """The target as written: ``node.input``."""
        return f"{self.target}.{self.input}"

    def __str__(self) -> str:
        return f"{self.source_ref} -> {self.target_ref}"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a finished value goes: step index, input name, optional field getter."""

    step: int
    input: str
    getter: Getter | None


@dataclass(frozen=True, slots=True)
class Step:
    """One node's scheduling facts, precomputed at compile time for the scheduler."""

    index: int
    node: Node[object]
    required: int
    """How many arrivals (inputs from nodes, route decisions) the node waits for."""
    targets: tuple[Target, ...]
    retry: RetryPolicy
    timeout: float | None
    routes: Mapping[object, tuple[int, ...]] | None = None
    """For a router: the steps each label leads to."""
    route_targets: tuple[int, ...] = ()
    """For a router: every step it decides about (each waits for the decision)."""
    multi_route: bool = False
    """The router returns a collection of labels rather than one."""
    region: tuple[int, str] | None = None
    """The (join step, input) whose branch this step exclusively feeds, if any."""
    cancellable: bool = False
    """In the branch of a ``first``/``k_of_n`` join: cancelled when the join is decided."""
    collecting: bool = False
    """In the branch of a ``collect`` join: its failure becomes a value, not a run failure."""
    join_need: int = 0
    """For a join: how many values it needs before it fires."""
    optional: frozenset[str] = frozenset()
    """The inputs that have defaults (a skipped source leaves the default)."""
    direct: bool = False
    """An async function with one attempt and nothing around it: awaited directly."""


@dataclass(frozen=True, slots=True)
class Plan:
    """The scheduler's view of a graph: steps in topological order and how values flow."""

    steps: tuple[Step, ...]
    roots: tuple[int, ...]
    """Steps with nothing to wait for once the graph inputs are delivered."""
    inputs: tuple[tuple[str, tuple[Target, ...]], ...]
    output_step: int
    output_getter: Getter | None
    joins: tuple[int, ...] = ()
    """The steps that are joins."""
    regions: Mapping[tuple[int, str], tuple[int, ...]] = field(default_factory=dict)
    """(join step, input) -> the steps that only feed that input (cancelled together)."""
    sequential: bool = False
    """At most one step is ever ready at a time: it can run without a task group."""
    agents: bool = False
    """Some node, at any depth, is an agent: a run opens the model catalogs it uses."""


@dataclass(frozen=True, slots=True)
class Bound:
    """The most work one run of a graph can do, proved at compile time."""

    executions: int | None
    """Node executions (functions, routers, joins, and every body run by maps and loops);
    ``None`` when a map without ``max_items`` makes it unbounded."""
    attempts: int | None
    """The same, counting every retry each node's policy allows."""
    llm_calls: int | None = None
    """Model calls: each agent attempt makes one, one more per tool round, and one more to
    repair a typed reply that did not parse."""

    def __str__(self) -> str:
        if self.executions is None:
            return "unbounded (a map has no max_items)"
        return f"at most {self.executions} node executions ({self.attempts} attempts)"


class Graph(Generic[OutputT_co]):
    """A compiled graph. Immutable; equal graphs have equal content hashes.

    Build one with ``GraphBuilder(...).build(output)``.
    """

    __slots__ = (
        "_description",
        "bound",
        "content_hash",
        "description",
        "edges",
        "inputs",
        "name",
        "nodes",
        "output",
        "output_type",
        "plan",
        "pools",
        "retry",
        "routes",
        "timeout",
    )

    name: str
    nodes: Mapping[str, Node[object]]
    edges: tuple[Edge, ...]
    inputs: Mapping[str, object]
    output: str
    output_type: object
    retry: RetryPolicy
    """The retry policy of nodes that set none."""
    timeout: float | None
    """The per-attempt timeout of nodes that set none."""
    pools: Mapping[str, int]
    routes: Mapping[str, Mapping[object, tuple[str, ...]]]
    """Router id -> label -> the node ids that label leads to."""
    bound: Bound
    """The static bound on a run's work."""
    description: str
    plan: Plan
    content_hash: str
    _description: Mapping[str, object]

    def __init__(
        self,
        *,
        name: str,
        nodes: Mapping[str, Node[object]],
        edges: tuple[Edge, ...],
        inputs: Mapping[str, object],
        output: str,
        output_type: object,
        retry: RetryPolicy,
        timeout: float | None,
        pools: Mapping[str, int],
        routes: Mapping[str, Mapping[object, tuple[str, ...]]],
        bound: Bound,
        description: str,
        plan: Plan,
        content_hash: str,
        canonical: Mapping[str, object],
    ) -> None:
        for slot, value in (
            ("name", name),
            ("nodes", nodes),
            ("edges", edges),
            ("inputs", inputs),
            ("output", output),
            ("output_type", output_type),
            ("retry", retry),
            ("timeout", timeout),
            ("pools", pools),
            ("routes", routes),
            ("bound", bound),
            ("description", description),
            ("plan", plan),
            ("content_hash", content_hash),
            ("_description", canonical),
        ):
            object.__setattr__(self, slot, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Graph `{self.name}` is immutable; rebuild it with GraphBuilder")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Graph `{self.name}` is immutable; rebuild it with GraphBuilder")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return self.content_hash == other.content_hash

    def __hash__(self) -> int:
        return hash(self.content_hash)

    def __repr__(self) -> str:
        return (
            f"<Graph {self.name!r} nodes={len(self.nodes)} edges={len(self.edges)} "
            f"hash={self.content_hash[:12]}>"
        )

    def canonical(self) -> Mapping[str, object]:
        """The JSON-ready structural description the content hash is computed from."""
        return self._description

    async def run(
        self,
        inputs: Mapping[str, object] | None = None,
        /,
        *,
        options: RunOptions | None = None,
        listeners: tuple[EventListener, ...] = (),
    ) -> RunResult[OutputT_co]:
        """Run the graph to completion and return its result (see ``plait.engine.run``)."""
        # The engine sits above graphs; this call-time import keeps load-time imports one-way.
        from plait.engine import run

        return await run(self, inputs, options=options, listeners=listeners)

    def run_sync(
        self,
        inputs: Mapping[str, object] | None = None,
        /,
        *,
        options: RunOptions | None = None,
        listeners: tuple[EventListener, ...] = (),
        backend: str = "asyncio",
    ) -> RunResult[OutputT_co]:
        """Run the graph from synchronous code, in a fresh event loop."""
        from plait.engine import run_sync

        return run_sync(self, inputs, options=options, listeners=listeners, backend=backend)

    def stream(
        self,
        inputs: Mapping[str, object] | None = None,
        /,
        *,
        options: RunOptions | None = None,
    ) -> RunHandle[OutputT_co]:
        """Start a run whose events can be iterated while it goes (see ``plait.engine.stream``)."""
        from plait.engine import stream

        return stream(self, inputs, options=options)
