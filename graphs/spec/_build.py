"""Turning a validated spec into compiled graphs: names looked up, bodies first, compiled.

Every graph is built with ``GraphBuilder`` and compiled by ``build()``, so a spec gets
exactly the checks a Python graph gets. A name that is not registered is reported and its
node replaced by a stand-in that accepts anything, so the rest of the graph is still
checked; problems that only concern stand-ins are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from plait.graphs._builder import GraphBuilder
from plait.graphs._control import _label_text, route_labels
from plait.graphs._graph import Graph
from plait.graphs.spec._document import Document, check_limits, graph_order, hint, reference
from plait.graphs.spec._errors import Path, SpecError, shown
from plait.graphs.spec._limits import SpecLimits
from plait.graphs.spec._locate import Locator, mentions
from plait.graphs.spec._models import (
    PATTERN_SPECS,
    AgentSpec,
    CacheSpec,
    DocumentSpec,
    FunctionSpec,
    GraphSpec,
    HumanSpec,
    JoinSpec,
    LoopSpec,
    MapSpec,
    RetrySpec,
    SubgraphSpec,
)
from plait.graphs.spec._patterns import add_pattern
from plait.graphs.spec._registry import Registry
from plait.graphs.spec._text import TypeTextError, label_key, parse_type
from plait.nodes import (
    NO_RETRY,
    CachePolicy,
    GraphDefinitionError,
    Input,
    Node,
    RetryPolicy,
    to_node,
)

__all__ = ["build_document", "cache_policy"]

_BodySpec = SubgraphSpec | MapSpec | LoopSpec


def cache_policy(spec: CacheSpec | None) -> CachePolicy | None:
    """The ``CachePolicy`` a validated cache spec describes."""
    if spec is None:
        return None
    return CachePolicy(ttl=spec.ttl, key=spec.key, version=spec.version)


class _GraphBuild:
    """Builds one graph of the document with a GraphBuilder."""

    def __init__(self, spec: GraphSpec, path: Path, name: str, document: Document) -> None:
        self.spec = spec
        self.path = path
        self.name = name
        self.document = document
        self.registry = document.registry
        self.stand_ins: set[str] = set()
        self.outputs: dict[str, object] = {}
        self.label_keys: dict[tuple[str, str], str] = {}
        self.kinds: dict[str, str] = {}
        self.indexes: dict[str, list[int]] = {}

    def build(self) -> Graph[object] | None:
        start = len(self.document.problems)
        spec = self.spec
        inputs = {
            name: self.type_of(text, (*self.path, "inputs", name))
            for name, text in spec.inputs.items()
        }
        retry = NO_RETRY if spec.retry is None else self.policy(spec.retry, (*self.path, "retry"))
        builder = GraphBuilder(
            self.name,
            inputs=inputs,
            retry=retry,
            timeout=spec.timeout,
            pools=spec.pools,
            description=spec.description,
        )
        for index, node in enumerate(spec.nodes):
            self.indexes.setdefault(node.id, []).append(index)
            self.kinds[node.id] = node.kind
            path = (*self.path, "nodes", index)
            if not _ADDERS[type(node)](self, builder, node, path):
                self.stand_in(builder, node.id, node.inputs)
        for index, node in enumerate(spec.nodes):
            if node.routes is not None and node.id not in self.stand_ins:
                self.route(builder, node.id, node.routes, (*self.path, "nodes", index, "routes"))
        locator = Locator(self.path, self.indexes, self.label_keys, self.kinds)
        try:
            graph = builder.build(spec.output)
        except GraphDefinitionError as error:
            self.document.problems.extend(
                locator.locate(problem)
                for problem in error.problems
                if not mentions(problem, self.stand_ins)
            )
            return None
        return graph if len(self.document.problems) == start else None

    def stand_in(self, builder: GraphBuilder, node_id: str, inputs: dict[str, str]) -> None:
        """A node that takes its wired inputs and fits anywhere, for one that failed."""
        self.stand_ins.add(node_id)
        fake: Node[object] = Node(
            id=node_id, inputs=tuple(Input(name, Any) for name in inputs), output=Any
        )
        builder.add(fake, inputs=inputs)

    def unknown(self, noun: str, name: str, path: Path, known: Iterable[str], method: str) -> None:
        self.document.add(
            f"unknown-{noun}",
            path,
            f"{noun} `{shown(name)}` is not registered",
            hint(noun, name, known, method),
        )

    def type_of(self, text: str, path: Path) -> object:
        try:
            return parse_type(text, self.registry, max_depth=self.document.limits.max_depth)
        except TypeTextError as error:
            if error.unknown is not None:
                self.unknown("type", error.unknown, path, self.registry.types, "type")
            else:
                self.document.add(
                    "invalid-type",
                    path,
                    f"`{shown(text)}` is not a type expression: {error}",
                    "write a registered name, `list[X]`, `dict[K, V]`, `X | None` "
                    "or `Literal['a', 'b']`",
                )
            return Any

    def policy(self, spec: RetrySpec, path: Path) -> RetryPolicy:
        def errors(names: Sequence[str], field: str) -> tuple[type[BaseException], ...]:
            found: list[type[BaseException]] = []
            for index, name in enumerate(names):
                error = self.registry.errors.get(name)
                if error is None:
                    where = (*path, field, index)
                    self.unknown("error", name, where, self.registry.errors, "error")
                else:
                    found.append(error)
            return tuple(found)

        return RetryPolicy(
            max_attempts=spec.max_attempts,
            initial_delay=spec.initial_delay,
            multiplier=spec.multiplier,
            max_delay=spec.max_delay,
            jitter=spec.jitter,
            retry_on=errors(spec.retry_on, "retry_on"),
            give_up_on=errors(spec.give_up_on, "give_up_on"),
        )

    def node_retry(self, node: _BodySpec, path: Path) -> RetryPolicy | None:
        return None if node.retry is None else self.policy(node.retry, (*path, "retry"))

    def body(self, node: _BodySpec) -> Graph[object] | None:
        _, key = reference(node) or ("graph", "")
        if key not in self.document.built:
            return None  # an unknown key, reported with the document's references
        return self.document.built[key]

    def add_function(self, builder: GraphBuilder, node: FunctionSpec, path: Path) -> bool:
        base = self.registry.functions.get(node.function)
        if base is None:
            where = (*path, "function")
            self.unknown("function", node.function, where, self.registry.functions, "function")
            return False
        given = node.model_fields_set
        retry = None
        if "retry" in given and node.retry is not None:
            retry = self.policy(node.retry, (*path, "retry"))
        # An explicit null (drop the registered option), or an option the builder does not
        # take, needs a copy of its own; otherwise the builder's one copy applies the rest.
        dropped = {"retry", "timeout", "pool"} & given
        changes: dict[str, object] = {name: None for name in dropped if getattr(node, name) is None}
        for name in ("blocking", "description", "isolation", "grace"):  # null: the registered
            if getattr(node, name) is not None:
                changes[name] = getattr(node, name)
        if "executor" in given:
            changes["executor"] = node.executor
        if "cache" in given:
            changes["cache"] = cache_policy(node.cache)
        if changes:
            base = replace(base, **changes)  # type: ignore[arg-type]
        if base.isolation == "process" and {"isolation", "blocking"} & changes.keys():
            probe = to_node(base.fn, id=node.id, blocking=base.blocking, isolation="process")
            for problem in probe.problems:
                if problem.code in ("not-importable", "bad-isolation"):
                    where = (*path, "isolation")
                    self.document.add(problem.code, where, problem.message, problem.hint)
        self.outputs[node.id] = base.output
        builder.add(
            base, id=node.id, inputs=node.inputs, retry=retry, timeout=node.timeout, pool=node.pool
        )
        return True

    def add_agent(self, builder: GraphBuilder, node: AgentSpec, path: Path) -> bool:
        base = self.registry.agents.get(node.agent)
        if base is None:
            self.unknown("agent", node.agent, (*path, "agent"), self.registry.agents, "agent")
            return False
        if node.model is not None:
            from plait.nodes import ConfigError, parse_model

            try:
                parse_model(node.model)
            except ConfigError as error:
                self.document.add("invalid-value", (*path, "model"), str(error))
        given = node.model_fields_set
        changes: dict[str, object] = {"id": node.id}
        for name in _AGENT_VALUES:  # null keeps the registered value: these cannot be None
            value = getattr(node, name)
            if value is not None:
                changes[name] = value
        for name in _AGENT_NULLABLE:  # null is a value: no prompt template, no cap, ...
            if name in given:
                changes[name] = getattr(node, name)
        if "retry" in given:
            retry = node.retry
            changes["retry"] = None if retry is None else self.policy(retry, (*path, "retry"))
        if "cache" in given:
            changes["cache"] = cache_policy(node.cache)
        if node.mcp:  # servers are looked up by name in the run's configuration
            from plait.nodes import MCPTools

            refs = (MCPTools(ref.split(".")[0], ref.partition(".")[2] or None) for ref in node.mcp)
            changes["mcp"] = tuple(dict.fromkeys((*getattr(base, "mcp", ()), *refs)))
        built: Node[object] = replace(base, **changes)  # type: ignore[arg-type]
        self.outputs[node.id] = built.output
        builder.add(built, inputs=node.inputs)
        return True

    def add_subgraph(self, builder: GraphBuilder, node: SubgraphSpec, path: Path) -> bool:
        graph = self.body(node)
        if graph is None:
            return False
        self.outputs[node.id] = graph.output_type
        retry = self.node_retry(node, path)
        builder.add(
            graph, id=node.id, inputs=node.inputs, retry=retry, timeout=node.timeout, pool=node.pool
        )
        return True

    def add_map(self, builder: GraphBuilder, node: MapSpec, path: Path) -> bool:
        graph = self.body(node)
        if graph is None:
            return False
        if not node.collect_failures:
            self.outputs[node.id] = list[graph.output_type]  # type: ignore[name-defined]
        builder.map(
            graph,
            over=node.over,
            id=node.id,
            inputs=node.inputs,
            concurrency=node.concurrency,
            max_items=node.max_items,
            collect_failures=node.collect_failures,
            retry=self.node_retry(node, path),
            timeout=node.timeout,
        )
        return True

    def add_loop(self, builder: GraphBuilder, node: LoopSpec, path: Path) -> bool:
        graph = self.body(node)
        until: Callable[[object], bool] | None = None
        if node.until is not None:
            condition = self.registry.conditions.get(node.until)
            if condition is None:
                where = (*path, "until")
                self.unknown("condition", node.until, where, self.registry.conditions, "condition")
            else:
                until = condition  # type: ignore[assignment]
        if graph is None:
            return False
        builder.loop(
            graph,
            carry=node.carry,
            max_iterations=node.max_iterations,
            until=until,
            id=node.id,
            inputs=node.inputs,
            retry=self.node_retry(node, path),
            timeout=node.timeout,
        )
        return True

    def add_join(self, builder: GraphBuilder, node: JoinSpec, path: Path) -> bool:
        builder.join(node.id, inputs=node.inputs, policy=node.policy, k=node.k)
        return True

    def add_human(self, builder: GraphBuilder, node: HumanSpec, path: Path) -> bool:
        answer = self.type_of(node.answer, (*path, "answer"))
        self.outputs[node.id] = answer
        builder.ask(
            node.id,
            question=node.question,
            answer=answer,  # type: ignore[arg-type]
            inputs=node.inputs,
            timeout=node.timeout,
        )
        return True

    def route(
        self, builder: GraphBuilder, router: str, routes: dict[str, list[str] | str], path: Path
    ) -> None:
        output = self.outputs.get(router)
        found = route_labels(output) if output is not None else None
        by_key: dict[str, object] = {}
        for label in found[0] if found is not None else ():
            key = label_key(label)
            if key in by_key:
                self.document.add(
                    "label-collision",
                    path,
                    f"labels {_label_text(by_key[key])} and {_label_text(label)} of `{router}` "
                    f"are both written `{key}`",
                    "give the router labels that differ as text",
                )
            by_key.setdefault(key, label)
        table: dict[object, list[str]] = {}
        for key, targets in routes.items():
            label = by_key.get(key, key)
            self.label_keys[(router, _label_text(label))] = key
            table[label] = [targets] if isinstance(targets, str) else list(targets)
        builder.route(router, table)


_AGENT_VALUES: tuple[str, ...] = (
    *("model", "instructions", "max_iterations", "parallel_tool_calls", "stream"),
    "description",
)
_AGENT_NULLABLE = ("prompt", "max_tokens", "reasoning", "timeout", "pool")

_ADDERS: dict[type, Callable[[_GraphBuild, GraphBuilder, Any, Path], bool]] = {
    FunctionSpec: _GraphBuild.add_function,
    AgentSpec: _GraphBuild.add_agent,
    SubgraphSpec: _GraphBuild.add_subgraph,
    MapSpec: _GraphBuild.add_map,
    LoopSpec: _GraphBuild.add_loop,
    JoinSpec: _GraphBuild.add_join,
    HumanSpec: _GraphBuild.add_human,
    **dict.fromkeys(PATTERN_SPECS, add_pattern),
}


def build_document(
    spec: DocumentSpec, registry: Registry, limits: SpecLimits, subject: str
) -> Graph[object]:
    """The compiled main graph of a validated document.

    Raises:
        SpecError: listing every problem: limits, names that are not registered, and
            everything compiling the graphs finds, each at its JSON path.
    """
    document = Document(registry, limits, [], {})
    graphs = [((), spec), *((("graphs", key), graph) for key, graph in spec.graphs.items())]
    check_limits(graphs, document)
    if document.problems:
        raise SpecError(document.problems, subject=subject)
    order = graph_order(spec, document)
    if any(problem.code in ("recursive-graph", "too-deep") for problem in document.problems):
        raise SpecError(document.problems, subject=subject)
    for key in order:
        body = spec.graphs[key]
        name = body.name if body.name is not None else key
        document.built[key] = _GraphBuild(body, ("graphs", key), name, document).build()
    main = _GraphBuild(spec, (), spec.name, document).build()
    if main is None or document.problems:
        raise SpecError(document.problems, subject=subject)
    return main
