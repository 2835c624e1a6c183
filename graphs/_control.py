"""Compile-time checks and facts for control flow: routes, joins, maps, loops, the bound."""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Union

from plait.graphs._definition import ProblemSink, RawRoute
from plait.graphs._graph import INPUTS, Bound, Edge
from plait.graphs._kinds import BranchFailure, JoinNode, LoopNode, MapNode, SubgraphNode
from plait.nodes import Input, Node, is_assignable, type_name

__all__ = [
    "check_bodies",
    "check_joins",
    "check_routes",
    "exclusive_regions",
    "route_edges",
    "route_labels",
    "static_bound",
    "typed_join",
]

_COLLECTIONS = (list, set, frozenset, tuple, typing.get_origin(Sequence[int]))


def _labels_of(annotation: object) -> tuple[object, ...] | None:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(annotation)
    if annotation is bool:
        return (True, False)
    if typing.get_origin(annotation) in (Union, type(int | str)):
        found: list[object] = []
        for member in typing.get_args(annotation):
            labels = _labels_of(member)
            if labels is None:
                return None
            found.extend(labels)
        return tuple(found)
    return None


def route_labels(output: object) -> tuple[tuple[object, ...], bool] | None:
    """(possible labels, returns several) of a router's output type, or None."""
    labels = _labels_of(output)
    if labels is not None:
        return labels, False
    if typing.get_origin(output) in _COLLECTIONS:
        args = typing.get_args(output)
        if args:
            labels = _labels_of(args[0])
            if labels is not None:
                return labels, True
    return None


def _label_text(label: object) -> str:
    return f"{type(label).__name__}.{label.name}" if isinstance(label, enum.Enum) else repr(label)


def check_routes(
    routes: Sequence[RawRoute], nodes: Mapping[str, Node[object]], problem: ProblemSink
) -> dict[str, dict[object, tuple[str, ...]]]:
    """Router -> its table, for every route that checks out; the others are reported."""
    decided: dict[str, dict[object, tuple[str, ...]]] = {}
    for route in routes:
        if route.router in decided:
            problem("duplicate-route", f"route of `{route.router}`", "routed twice", "")
            continue
        table = _check_route(route, nodes, problem)
        if table is not None:
            decided[route.router] = table
    return decided


def route_edges(routes: Mapping[str, Mapping[object, tuple[str, ...]]]) -> list[tuple[str, str]]:
    """(router, target) for every target a router can route to, sorted."""
    return sorted(
        {(router, t) for router, table in routes.items() for ts in table.values() for t in ts}
    )


def _check_route(
    route: RawRoute, nodes: Mapping[str, Node[object]], problem: ProblemSink
) -> dict[object, tuple[str, ...]] | None:
    """The route table resolved and checked, or None after reporting its problems."""
    where = f"route of `{route.router}`"
    router = nodes.get(route.router)
    if router is None:
        problem("unknown-node", where, f"router `{route.router}` is not a node", "")
        return None
    found = route_labels(router.output)
    if found is None:
        problem(
            "not-a-router",
            where,
            f"`{route.router}` returns `{type_name(router.output)}`, which declares no labels",
            "return a Literal[...] or an Enum (or a list of one, to take several routes)",
        )
        return None
    labels, _ = found
    ok = True
    for label, targets in route.targets.items():
        if label not in labels:
            ok = False
            problem(
                "unknown-label",
                f"{where} label {_label_text(label)}",
                f"`{route.router}` never returns it (its labels: "
                + ", ".join(_label_text(item) for item in labels)
                + ")",
                "remove it or add it to the router's return type",
            )
        for target in targets:
            if target not in nodes:
                ok = False
                problem(
                    "unknown-node",
                    f"{where} label {_label_text(label)}",
                    f"target `{target}` is not a node",
                    "add() the node first",
                )
            elif target == route.router:
                ok = False
                problem("cycle", where, "a router cannot route to itself", "")
    for label in labels:
        if label not in route.targets:
            ok = False
            problem(
                "unrouted-label",
                f"{where} label {_label_text(label)}",
                "the router can return this label but it leads nowhere",
                "map it to its node(s), or to [] when it should run nothing",
            )
    return dict(route.targets) if ok else None


def _union(types: Sequence[object]) -> object:
    unique: list[object] = []
    for tp in types:
        if tp not in unique:
            unique.append(tp)
    if len(unique) == 1:
        return unique[0]
    return Union[tuple(unique)]  # noqa: UP007 - built from a runtime list


def typed_join(join: JoinNode, source_types: Mapping[str, object]) -> JoinNode:
    """The join with input types taken from its edges and its output type derived."""
    inputs = tuple(
        Input(item.name, source_types.get(item.name, object), item.required) for item in join.inputs
    )
    value = _union([item.annotation for item in inputs]) if inputs else object
    output: object
    if join.policy == "first":
        output = value
    elif join.policy == "collect":
        output = dict[str, _union([value, BranchFailure])]  # type: ignore[misc]
    else:
        output = dict[str, value]  # type: ignore[valid-type]
    return replace(join, inputs=inputs, output=output)


def check_joins(
    nodes: Mapping[str, Node[object]],
    edges: Sequence[Edge],
    ancestors: Callable[[str], set[str]],
    problem: ProblemSink,
) -> None:
    """Joins that cancel or collect need at least two truly parallel branches."""
    for node in nodes.values():
        if not isinstance(node, JoinNode):
            continue
        where = f"join `{node.id}`"
        count = len(node.inputs)
        if node.policy not in ("all", "first", "k_of_n", "collect"):
            problem(
                "invalid-join",
                where,
                f"unknown policy {node.policy!r}",
                "use 'all', 'first', 'k_of_n' or 'collect'",
            )
            continue
        if node.policy == "k_of_n" and (node.k is None or not 1 <= node.k <= count):
            problem(
                "invalid-join",
                where,
                f"k_of_n needs 1 <= k <= {count} (its inputs), got k={node.k}",
                "pass k=...",
            )
        if node.policy == "all":
            continue
        sources = [edge.source for edge in edges if edge.target == node.id]
        if count < 2:
            problem(
                "join-without-fork",
                where,
                f"a `{node.policy}` join needs two or more branches, it has {count}",
                "wire each alternative branch into its own input",
            )
            continue
        for source in sources:
            if source == INPUTS:
                continue
            above = ancestors(source)
            for other in sources:
                if other != source and other in above:
                    problem(
                        "join-without-fork",
                        where,
                        f"`{source}` depends on `{other}`, so they are not parallel branches",
                        "feed the join from branches that fork from a common node",
                    )


def exclusive_regions(
    join: str,
    incoming: Sequence[Edge],
    successors: Mapping[str, set[str]],
    order: Sequence[str],
) -> dict[str, str]:
    """Node -> join input, for every node whose work only feeds that input of the join.

    Such a node can be cancelled (or its failure collected) without touching anything
    else: all its paths lead into the one join input.
    """
    position = {name: index for index, name in enumerate(order)}
    region: dict[str, str] = {}
    for edge in incoming:
        if edge.source == INPUTS:
            continue
        feeders = [other for other in incoming if other.source == edge.source]
        if len(feeders) > 1 or successors.get(edge.source, set()) != {join}:
            continue
        members = {edge.source}
        for name in sorted(position, key=position.__getitem__, reverse=True):
            if position[name] >= position[edge.source] or name in members:
                continue
            following = successors.get(name, set())
            if following and following <= members:
                members.add(name)
        for name in members:
            region[name] = edge.input
    return region


def check_bodies(nodes: Mapping[str, Node[object]], problem: ProblemSink) -> None:
    """Maps and loops: the item and carry inputs exist, bounds are valid, types loop."""
    for node in nodes.values():
        where = f"{node.kind} `{node.id}`"
        if isinstance(node, MapNode):
            if node.over not in node.body.inputs:
                problem(
                    "unknown-input",
                    where,
                    f"body `{node.body.name}` has no input `{node.over}` to map over",
                    "over= names the body input that receives each item",
                )
            for label, value in (("max_items", node.max_items), ("concurrency", node.concurrency)):
                if value is not None and value < 1:
                    problem("invalid-bound", where, f"{label} must be at least 1, got {value}", "")
        elif isinstance(node, LoopNode):
            if node.max_iterations < 1:
                problem(
                    "invalid-bound",
                    where,
                    f"max_iterations must be at least 1, got {node.max_iterations}",
                    "",
                )
            carried = node.body.inputs.get(node.carry)
            if carried is None:
                problem(
                    "unknown-input",
                    where,
                    f"body `{node.body.name}` has no input `{node.carry}` to carry",
                    "carry= names the body input its output is fed back into",
                )
            elif not is_assignable(node.body.output_type, carried):
                problem(
                    "type-mismatch",
                    where,
                    f"the body returns `{type_name(node.body.output_type)}`, its carried "
                    f"input `{node.carry}` expects `{type_name(carried)}`",
                    "make the body's output fit the input it is fed back into",
                )


def _node_bound(node: Node[object]) -> tuple[int | None, int | None]:
    attempts = node.retry.max_attempts if node.retry is not None else 1
    if isinstance(node, SubgraphNode):
        return node.graph.bound.executions, node.graph.bound.attempts
    if isinstance(node, MapNode | LoopNode):
        body = node.body.bound
        times = node.max_items if isinstance(node, MapNode) else node.max_iterations
        if times is None or body.executions is None or body.attempts is None:
            return None, None
        return times * body.executions, times * body.attempts * attempts
    return 1, attempts


def _model_calls(node: Node[object], attempts: int) -> int | None:
    """The most model calls ``node`` can make, over ``attempts`` attempts."""
    if isinstance(node, SubgraphNode):
        return node.graph.bound.llm_calls
    if isinstance(node, MapNode | LoopNode):
        times = node.max_items if isinstance(node, MapNode) else node.max_iterations
        calls = node.body.bound.llm_calls
        own = node.retry.max_attempts if node.retry is not None else 1
        return None if times is None or calls is None else times * calls * own
    if node.kind != "agent":  # duck-typed: graphs must not load the LLM side
        return 0
    rounds = int(getattr(node, "max_iterations", 0)) if getattr(node, "tools", ()) else 0
    repair = 0 if node.output is str else 1
    return (1 + rounds + repair) * attempts


def static_bound(nodes: Mapping[str, Node[object]], retry_attempts: int) -> Bound:
    """The most node executions (and attempts, and model calls) one run can make."""
    executions = 0
    attempts = 0
    calls: int | None = 0
    for node in nodes.values():
        node_executions, node_attempts = _node_bound(node)
        if node_executions is None or node_attempts is None:
            return Bound(None, None)
        if node.retry is None and not isinstance(node, SubgraphNode | MapNode | LoopNode):
            node_attempts = retry_attempts
        executions += node_executions
        attempts += node_attempts
        node_calls = _model_calls(node, node_attempts)
        calls = None if calls is None or node_calls is None else calls + node_calls
    return Bound(executions, attempts, calls)
