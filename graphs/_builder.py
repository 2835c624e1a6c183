"""The graph builder: the one mutable object, turned into an immutable Graph by build()."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar, overload

from plait.graphs._compile import compile_graph
from plait.graphs._definition import Definition, RawEdge, RawRoute
from plait.graphs._graph import INPUTS, Graph
from plait.graphs._kinds import (
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
from plait.nodes import NO_RETRY, FunctionNode, Input, Node, Problem, RetryPolicy, to_node

__all__ = ["GraphBuilder", "NodeRef"]

OutputT = TypeVar("OutputT")
OutputT_co = TypeVar("OutputT_co", covariant=True)


@dataclass(frozen=True, slots=True)
class NodeRef(Generic[OutputT_co]):
    """A typed handle on a node added to a builder; use it as an edge source or output."""

    id: str

    def field(self, path: str) -> str:
        """A reference to a field of this node's output, e.g. ``ref.field("body")``."""
        return f"{self.id}.{path}"

    def __str__(self) -> str:
        return self.id


Source = str | NodeRef[object]
"""An edge source: ``"node"``, ``"node.field"``, ``"inputs.name"``, or a ``NodeRef``."""


class GraphBuilder:
    """Collects nodes and edges; ``build()`` validates them all at once into a ``Graph``.

    Nothing here raises on a wiring mistake: every problem is reported together by
    ``build()``, each with its location and a hint.
    """

    def __init__(
        self,
        name: str,
        *,
        inputs: Mapping[str, object] | None = None,
        retry: RetryPolicy = NO_RETRY,
        timeout: float | None = None,
        pools: Mapping[str, int] | None = None,
        description: str = "",
    ) -> None:
        self.name = name
        self._inputs: dict[str, object] = dict(inputs or {})
        self._retry = retry
        self._timeout = timeout
        self._pools = dict(pools or {})
        self._description = description
        self._nodes: dict[str, Node[object]] = {}
        self._edges: list[RawEdge] = []
        self._routes: list[RawRoute] = []
        self._problems: list[Problem] = []

    @overload
    def add(
        self,
        node: Graph[OutputT],
        /,
        *,
        id: str | None = None,
        inputs: Mapping[str, Source] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        pool: str | None = None,
    ) -> NodeRef[OutputT]: ...
    @overload
    def add(
        self,
        node: Node[OutputT],
        /,
        *,
        id: str | None = None,
        inputs: Mapping[str, Source] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        pool: str | None = None,
    ) -> NodeRef[OutputT]: ...
    @overload
    def add(
        self,
        node: Callable[..., Coroutine[Any, Any, OutputT]],
        /,
        *,
        id: str | None = None,
        inputs: Mapping[str, Source] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        pool: str | None = None,
    ) -> NodeRef[OutputT]: ...
    @overload
    def add(
        self,
        node: Callable[..., Awaitable[OutputT]],
        /,
        *,
        id: str | None = None,
        inputs: Mapping[str, Source] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        pool: str | None = None,
    ) -> NodeRef[OutputT]: ...
    @overload
    def add(
        self,
        node: Callable[..., OutputT],
        /,
        *,
        id: str | None = None,
        inputs: Mapping[str, Source] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        pool: str | None = None,
    ) -> NodeRef[OutputT]: ...
    def add(
        self,
        node: Graph[Any] | Node[Any] | Callable[..., Any],
        /,
        *,
        id: str | None = None,
        inputs: Mapping[str, Source] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        pool: str | None = None,
    ) -> NodeRef[Any]:
        """Add a node (or a plain typed function, made into one) and wire its inputs.

        ``inputs`` maps each input name to its source, so
        ``add(summarise, inputs={"text": "fetch.body"})`` is ``add(summarise)`` plus
        ``edge("fetch.body", "summarise.text")``. Options given here override the node's.
        A compiled ``Graph`` becomes a subgraph node with the graph's inputs and output
        (a pattern's graph, from ``plait.graphs.patterns``, becomes its pattern node).
        """
        pattern = _pattern_of(node) if isinstance(node, Graph) else None
        if pattern is not None:
            node = pattern
        if isinstance(node, Graph):
            built: Node[object] = SubgraphNode(
                id=id or node.name,
                inputs=tuple(Input(name, tp) for name, tp in node.inputs.items()),
                output=node.output_type,
                retry=retry,
                timeout=timeout,
                pool=pool,
                description=node.description,
                graph=node,
            )
            return self._place(built, inputs)
        if isinstance(node, FunctionNode):
            built = node.with_options(id=id, retry=retry, timeout=timeout, pool=pool)
        elif isinstance(node, Node):
            built = replace(
                node,
                id=node.id if id is None else id,
                retry=node.retry if retry is None else retry,
                timeout=node.timeout if timeout is None else timeout,
                pool=node.pool if pool is None else pool,
            )
        else:
            built = to_node(node, id=id, retry=retry, timeout=timeout, pool=pool)
        return self._place(built, inputs)

    def _place(self, built: Node[Any], inputs: Mapping[str, Source] | None) -> NodeRef[Any]:
        if built.id in self._nodes:
            self._problems.append(
                Problem(
                    "duplicate-id",
                    f"node `{built.id}`",
                    "a node with this id was already added",
                    "pass a distinct id=... to add()",
                )
            )
        else:
            self._nodes[built.id] = built
        for input_name, source in (inputs or {}).items():
            self.edge(source, f"{built.id}.{input_name}")
        return NodeRef(built.id)

    def route(
        self,
        router: Source,
        table: Mapping[object, str | NodeRef[object] | Sequence[str | NodeRef[object]]],
    ) -> GraphBuilder:
        """Make ``router`` choose branches: each label it can return leads to node(s).

        The router's output type declares its labels (a ``Literal`` or ``Enum``, or a
        list/set of one for multi-route). A node behind an untaken label is skipped, and
        so is everything that needs its output. Map a label to ``[]`` to do nothing.
        """
        targets: dict[object, tuple[str, ...]] = {}
        for label, where in table.items():
            many = [where] if isinstance(where, str | NodeRef) else list(where)
            targets[label] = tuple(str(target) for target in many)
        self._routes.append(RawRoute(str(router), targets))
        return self

    def map(
        self,
        body: Graph[OutputT] | Node[OutputT] | Callable[..., Awaitable[OutputT]],
        /,
        *,
        over: str,
        id: str | None = None,
        inputs: Mapping[str, Source] | None = None,
        concurrency: int | None = None,
        max_items: int | None = None,
        collect_failures: bool = False,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
    ) -> NodeRef[list[OutputT]]:
        """Run ``body`` once per item of the list fed to input ``over``, concurrently.

        The other inputs go to every item unchanged. The output is the list of results in
        item order. ``max_items`` bounds the list (and the graph's static bound);
        ``collect_failures`` puts a ``BranchFailure`` where an item failed for good.
        """
        graph = _as_graph(body)
        item = graph.inputs.get(over, object)
        node_inputs = tuple(
            Input(name, list[tp] if name == over else tp)  # type: ignore[valid-type]
            for name, tp in graph.inputs.items()
        )
        output: object = graph.output_type
        if collect_failures:
            output = output | BranchFailure
        built = MapNode(
            id=id or f"map_{graph.name}",
            inputs=node_inputs if over in graph.inputs else (*node_inputs, Input(over, item)),
            output=list[output],  # type: ignore[valid-type]
            retry=retry,
            timeout=timeout,
            body=graph,
            over=over,
            concurrency=concurrency,
            max_items=max_items,
            collect_failures=collect_failures,
        )
        return self._place(built, inputs)

    def loop(
        self,
        body: Graph[OutputT],
        /,
        *,
        carry: str,
        max_iterations: int,
        until: Callable[[OutputT], bool] | None = None,
        id: str | None = None,
        inputs: Mapping[str, Source] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
    ) -> NodeRef[LoopResult[OutputT]]:
        """Run ``body`` repeatedly, feeding its output back into its input ``carry``.

        Stops when ``until(output)`` holds or after ``max_iterations`` (required: every
        run terminates); the output is a ``LoopResult`` saying which ended it.
        """
        built = LoopNode(
            id=id or f"loop_{body.name}",
            inputs=tuple(Input(name, tp) for name, tp in body.inputs.items()),
            output=LoopResult[body.output_type],  # type: ignore[name-defined]
            retry=retry,
            timeout=timeout,
            body=body,
            carry=carry,
            until=until,  # type: ignore[arg-type]
            max_iterations=max_iterations,
        )
        return self._place(built, inputs)

    def join(
        self,
        id: str,
        *,
        inputs: Mapping[str, Source],
        policy: JoinPolicy = "all",
        k: int | None = None,
    ) -> NodeRef[object]:
        """Combine parallel branches under ``policy`` (see ``JoinNode``).

        Its input and output types follow from what is wired into it, at compile time.
        """
        built = JoinNode(
            id=id,
            inputs=tuple(Input(name, object) for name in inputs),
            output=object,
            policy=policy,
            k=k,
        )
        return self._place(built, inputs)

    def ask(
        self,
        id: str,
        *,
        question: str,
        answer: type[OutputT],
        inputs: Mapping[str, Source] | None = None,
        timeout: float | None = None,
    ) -> NodeRef[OutputT]:
        """A human-input node: the run waits for an answer of type ``answer``.

        ``question`` may name the node's inputs as ``{input}`` placeholders.
        """
        built = HumanNode(
            id=id,
            inputs=tuple(Input(name, object) for name in inputs or {}),
            output=answer,
            timeout=timeout,
            question=question,
        )
        return self._place(built, inputs)

    def edge(self, source: Source, target: str) -> GraphBuilder:
        """Carry ``source`` (``node``, ``node.field``, ``inputs.name``) into ``node.input``.

        ``target`` may name just the node when that node has exactly one input.
        """
        self._edges.append(RawEdge(str(source), target))
        return self

    @staticmethod
    def input(name: str) -> str:
        """The source reference of graph input ``name``: ``inputs.<name>``."""
        return f"{INPUTS}.{name}"

    @overload
    def build(self, output: NodeRef[OutputT]) -> Graph[OutputT]: ...
    @overload
    def build(self, output: str) -> Graph[object]: ...
    def build(self, output: NodeRef[Any] | str) -> Graph[Any]:
        """Validate everything and return the immutable graph whose result is ``output``.

        ``output`` is a node (``NodeRef`` or id) or a field of one (``"node.field"``).

        Raises:
            GraphDefinitionError: when anything is wrong, listing every problem at once.
        """
        definition = Definition(
            name=self.name,
            nodes=dict(self._nodes),
            edges=tuple(self._edges),
            routes=tuple(self._routes),
            inputs=dict(self._inputs),
            output=str(output),
            retry=self._retry,
            timeout=self._timeout,
            pools=dict(self._pools),
            description=self._description,
            problems=tuple(self._problems),
        )
        return compile_graph(definition)


def _as_graph(body: Graph[Any] | Node[Any] | Callable[..., Any]) -> Graph[Any]:
    """A map body as a graph: a node becomes a one-node graph with the node's inputs."""
    if isinstance(body, Graph):
        return body
    built = body if isinstance(body, Node) else to_node(body)
    wrapper = GraphBuilder(built.id, inputs={item.name: item.annotation for item in built.inputs})
    wrapper.add(built, inputs={item.name: f"{INPUTS}.{item.name}" for item in built.inputs})
    return wrapper.build(built.id)


def _pattern_of(graph: Graph[Any]) -> PatternNode | None:
    """The pattern node a pattern's graph only wraps, or None for any other graph."""
    only = next(iter(graph.nodes.values())) if len(graph.nodes) == 1 else None
    if isinstance(only, PatternNode) and graph.output == only.id == graph.name:
        return only
    return None
