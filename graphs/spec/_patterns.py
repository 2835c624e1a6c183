"""Agent patterns in specs: built from registered parts by name, and written back so."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from plait.graphs._builder import GraphBuilder
from plait.graphs._graph import INPUTS, Graph
from plait.graphs._kinds import PatternNode, SubgraphNode
from plait.graphs.patterns import (
    QualityRating,
    chain,
    evaluator_optimizer,
    orchestrator,
    parallel,
    router,
)
from plait.graphs.patterns._common import Member, as_node
from plait.graphs.spec._dump_agents import agent_base
from plait.graphs.spec._errors import Path
from plait.graphs.spec._models import (
    ChainSpec,
    EvaluatorOptimizerSpec,
    GraphPart,
    OrchestratorSpec,
    ParallelSpec,
    PatternSpec,
    RouterSpec,
)
from plait.nodes import FunctionNode, GraphDefinitionError, Node

if TYPE_CHECKING:
    from plait.graphs.spec._build import _GraphBuild
    from plait.graphs.spec._dump import _Dump

__all__ = ["PATTERN_WRITERS", "add_pattern"]

Parts = Mapping[str, Any]
_SINGLE = frozenset({"fan_in", "planner", "synthesiser", "generator", "evaluator"})
"""Roles of one member, written as one name rather than a list."""


def _chain(name: str, spec: ChainSpec, parts: Parts) -> Graph[object]:
    return chain(name, *parts["sequence"], description=spec.description)


def _parallel(name: str, spec: ParallelSpec, parts: Parts) -> Graph[object]:
    return parallel(
        name,
        parts["fan_out"],
        fan_in=parts.get("fan_in"),
        policy=spec.policy,
        k=spec.k,
        include_request=spec.include_request,
        description=spec.description,
    )


def _router(name: str, spec: RouterSpec, parts: Parts) -> Graph[object]:
    return router(
        name,
        parts["agents"],
        model=spec.model,
        instructions=spec.instructions,
        description=spec.description,
    )


def _orchestrator(name: str, spec: OrchestratorSpec, parts: Parts) -> Graph[object]:
    return orchestrator(
        name,
        parts["planner"],
        parts["workers"],
        parts["synthesiser"],
        iterative=spec.iterative,
        plan_iterations=spec.plan_iterations,
        max_tasks=spec.max_tasks,
        max_plan_errors=spec.max_plan_errors,
        description=spec.description,
    )


def _evaluator_optimizer(name: str, spec: EvaluatorOptimizerSpec, parts: Parts) -> Graph[object]:
    return evaluator_optimizer(
        name,
        parts["generator"],
        parts["evaluator"],
        min_rating=QualityRating(spec.min_rating),
        max_refinements=spec.max_refinements,
        description=spec.description,
    )


_MAKERS: dict[str, tuple[tuple[str, ...], Callable[[str, Any, Parts], Graph[object]]]] = {
    "chain": (("sequence",), _chain),
    "parallel": (("fan_out", "fan_in"), _parallel),
    "router": (("agents",), _router),
    "orchestrator": (("planner", "workers", "synthesiser"), _orchestrator),
    "evaluator_optimizer": (("generator", "evaluator"), _evaluator_optimizer),
}
"""Each pattern kind: its roles (the spec fields naming parts) and how it is built."""
_SPECS: dict[str, type[PatternSpec]] = {
    "chain": ChainSpec,
    "parallel": ParallelSpec,
    "router": RouterSpec,
    "orchestrator": OrchestratorSpec,
    "evaluator_optimizer": EvaluatorOptimizerSpec,
}


def _part(build: _GraphBuild, name: str | GraphPart, path: Path) -> Member | None:
    """The registered agent (or else function) called ``name``, or the document's graph a
    part names; None after reporting (a graph's problems are reported where it is)."""
    if isinstance(name, GraphPart):
        return build.document.built.get(name.graph)
    found = build.registry.agents.get(name) or build.registry.functions.get(name)
    if found is None:
        known = [*build.registry.agents, *build.registry.functions]
        build.unknown("agent", name, path, known, "agent")
    return found


def add_pattern(build: _GraphBuild, builder: GraphBuilder, node: PatternSpec, path: Path) -> bool:
    """Add the pattern ``node`` describes; False after reporting what is wrong with it."""
    fields = dict(node)  # the model's fields by name
    roles, make = _MAKERS[fields["kind"]]
    parts: dict[str, Any] = {}
    for role in roles:
        value = fields[role]
        if value is None:
            continue
        if isinstance(value, list):
            parts[role] = [_part(build, name, (*path, role, i)) for i, name in enumerate(value)]
        else:
            parts[role] = _part(build, value, (*path, role))
    if any(member is None for value in parts.values() for member in _listed(value)):
        return False
    try:
        graph = make(node.name or node.id, node, parts)
    except (ValueError, GraphDefinitionError) as error:
        build.document.add("invalid-pattern", path, str(error))
        return False
    build.outputs[node.id] = graph.output_type
    retry = None if node.retry is None else build.policy(node.retry, (*path, "retry"))
    builder.add(
        graph, id=node.id, inputs=node.inputs, retry=retry, timeout=node.timeout, pool=node.pool
    )
    return True


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


def _part_name(dump: _Dump, member: Node[object], path: Path) -> str | dict[str, str]:
    """The registered name of a pattern's part, a graph of the document for a nested
    pattern or graph, or its id after reporting it."""
    if isinstance(member, SubgraphNode):
        graph = _wrapper(member) if isinstance(member, PatternNode) else member.graph
        if as_node(graph) == member:
            return {"graph": dump.graph_key(graph, path)}
    elif member.kind == "agent":
        match = agent_base(dump, member)
        if match is not None:
            name, base = match
            model, registered = getattr(member, "model", None), getattr(base, "model", None)
            if base == member and (model is registered or model == registered):
                return name
    elif isinstance(member, FunctionNode):
        named = dump.registry._functions.name_of(member.fn)
        if named is not None and dump.registry.functions[named] == member:
            return named
    dump.add(
        "unregistered-part",
        path,
        f"`{member.id}` is not a registered agent or function (or differs from the one "
        "registered under its name)",
        f"register it as it is used here: `registry.agent({member.id})` or `registry.function`"
        " (a nested graph is written only as its pattern or graph, without options)",
    )
    return member.id


def _wrapper(member: PatternNode) -> Graph[object]:
    """The one-node graph a nested pattern was passed as (``as_node`` gives ``member``)."""
    inputs = {item.name: item.annotation for item in member.inputs}
    builder = GraphBuilder(member.id, inputs=inputs, description=member.description)
    builder.add(member, inputs={name: f"{INPUTS}.{name}" for name in inputs})
    return builder.build(member.id)


def write_pattern(dump: _Dump, node: PatternNode, path: Path) -> dict[str, object]:
    """The fields of a pattern node: its parts by registered name, then its settings."""
    written: dict[str, object] = {}
    if node.graph.name != node.id:
        written["name"] = node.graph.name
    for role, members in node.parts:
        names = [_part_name(dump, m, (*path, role, i)) for i, m in enumerate(members)]
        written[role] = names[0] if role in _SINGLE else names
    for key, value in node.options:
        if key == "model" and value is None:
            dump.add(
                "unrepresentable",
                (*path, "model"),
                f"router `{node.id}` uses a model client object, which a spec cannot name",
                "give the router a model string",
            )
        elif value != _SPECS[node.kind].model_fields[key].default:  # defaults left out
            written[key] = value
    if node.description:
        written["description"] = node.description
    return written


PATTERN_WRITERS: dict[str, Callable[[_Dump, Any, Path], dict[str, object]]] = dict.fromkeys(
    _MAKERS, write_pattern
)
"""How each pattern kind is written."""
