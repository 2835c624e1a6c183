"""The graph builder: the one mutable object, turned into an immutable Graph by build()."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from plait.graphs._compile import RawEdge, compile_graph
from plait.graphs._graph import INPUTS, Graph
from plait.nodes import NO_RETRY, FunctionNode, Node, Problem, RetryPolicy, to_node

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
        self._problems: list[Problem] = []

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
        node: Node[Any] | Callable[..., Any],
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
        """
        if isinstance(node, FunctionNode):
            built: Node[object] = node.with_options(id=id, retry=retry, timeout=timeout, pool=pool)
        elif isinstance(node, Node):
            built = node
        else:
            built = to_node(node, id=id, retry=retry, timeout=timeout, pool=pool)
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
        return compile_graph(
            name=self.name,
            nodes=dict(self._nodes),
            edges=list(self._edges),
            inputs=dict(self._inputs),
            output=str(output),
            retry=self._retry,
            timeout=self._timeout,
            pools=dict(self._pools),
            description=self._description,
            problems=list(self._problems),
        )
