"""Compile-time validation: every wiring problem found in one pass, then the run plan."""

from __future__ import annotations

import gc
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from plait.graphs._algorithms import Topology
from plait.graphs._control import (
    RawRoute,
    check_bodies,
    check_joins,
    check_route,
    exclusive_regions,
    route_labels,
    static_bound,
    typed_join,
)
from plait.graphs._graph import INPUTS, Edge, Getter, Graph, Plan, Step, Target
from plait.graphs._kinds import HumanNode, JoinNode, LoopNode, MapNode, SubgraphNode
from plait.nodes import (
    FunctionNode,
    GraphDefinitionError,
    Node,
    Problem,
    RetryPolicy,
    close_matches,
    field_getter,
    field_types,
    is_assignable,
    type_name,
)

__all__ = ["RawEdge", "RawRoute", "compile_graph"]

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")


@dataclass(frozen=True, slots=True)
class RawEdge:
    """An edge as the user wrote it, before it is resolved and checked."""

    source: str
    target: str


def _did_you_mean(name: str, candidates: list[str]) -> str:
    matches = close_matches(name, candidates)
    if matches:
        return "did you mean " + " or ".join(f"`{match}`" for match in matches) + "?"
    if candidates:
        return "known: " + ", ".join(f"`{candidate}`" for candidate in sorted(candidates)[:8])
    return ""


def _compose(first: Getter | None, second: Getter) -> Getter:
    if first is None:
        return second
    return lambda value: second(first(value))


class _Compiler:
    def __init__(
        self,
        name: str,
        nodes: dict[str, Node[object]],
        inputs: dict[str, object],
        problems: list[Problem],
    ) -> None:
        self.name = name
        self.nodes = nodes
        self.inputs = inputs
        self.problems = problems

    def problem(self, code: str, location: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(code, location, message, hint))

    def walk_fields(
        self, owner: str, start: object, path: str, location: str
    ) -> tuple[object, Getter | None] | None:
        """Follow ``path`` (``a.b``) through the fields of ``start``; None when it breaks."""
        current, getter = start, None
        for segment in path.split("."):
            fields = field_types(current)
            if fields is None:
                self.problem(
                    "unknown-field",
                    location,
                    f"`{owner}` is `{type_name(current)}`, which has no fields to select "
                    f"(`{segment}` asked for)",
                    f"connect `{owner.split('.', 1)[0]}` itself, without `.{segment}`",
                )
                return None
            if segment not in fields:
                self.problem(
                    "unknown-field",
                    location,
                    f"`{type_name(current)}` has no field `{segment}`",
                    _did_you_mean(segment, list(fields)),
                )
                return None
            getter = _compose(getter, field_getter(current, segment))
            current = fields[segment]
            owner = f"{owner}.{segment}"
        return current, getter

    def resolve_source(
        self, ref: str, location: str
    ) -> tuple[str, str | None, object, Getter | None] | None:
        """(source, field path, type, getter) of a source reference, or None after a problem."""
        head, _, path = ref.partition(".")
        if head == INPUTS:
            input_name, _, rest = path.partition(".")
            if input_name not in self.inputs:
                self.problem(
                    "unknown-input",
                    location,
                    f"graph `{self.name}` has no input `{input_name}`",
                    _did_you_mean(input_name, list(self.inputs))
                    or "declare it: GraphBuilder(..., inputs={name: type})",
                )
                return None
            start: object = self.inputs[input_name]
            if not rest:
                return INPUTS, input_name, start, None
            walked = self.walk_fields(f"inputs.{input_name}", start, rest, location)
            return None if walked is None else (INPUTS, path, *walked)
        node = self.nodes.get(head)
        if node is None:
            self.problem(
                "unknown-node",
                location,
                f"source `{head}` is not a node of graph `{self.name}`",
                _did_you_mean(head, list(self.nodes)) or "add() the node first",
            )
            return None
        if not path:
            return head, None, node.output, None
        walked = self.walk_fields(head, node.output, path, location)
        return None if walked is None else (head, path, *walked)

    def resolve_target(self, ref: str, location: str) -> tuple[str, str] | None:
        """(node, input) of a target reference, or None after a problem."""
        head, _, input_name = ref.partition(".")
        node = self.nodes.get(head)
        if node is None:
            self.problem(
                "unknown-node",
                location,
                f"target `{head}` is not a node of graph `{self.name}`",
                _did_you_mean(head, list(self.nodes)) or "add() the node first",
            )
            return None
        names = [item.name for item in node.inputs]
        if not input_name:
            if len(names) == 1:
                return head, names[0]
            self.problem(
                "ambiguous-target",
                location,
                f"`{head}` has {len(names)} inputs, so the target must name one",
                "write the target as " + " or ".join(f"`{head}.{n}`" for n in names[:3])
                if names
                else f"`{head}` takes no inputs; remove the edge",
            )
            return None
        if node.input(input_name) is None:
            self.problem(
                "unknown-input",
                location,
                f"node `{head}` has no input `{input_name}`",
                _did_you_mean(input_name, names) or f"`{head}` takes no inputs",
            )
            return None
        return head, input_name

    def type_hint(self, source: str, field: str | None, source_type: object, wanted: object) -> str:
        """Suggest a field of the source whose type fits, or an adapter."""
        fields = field_types(source_type) or {}
        fitting = [name for name, tp in fields.items() if is_assignable(tp, wanted)]
        ref = source if field is None else f"{source}.{field}"
        if fitting:
            options = " or ".join(f"`{ref}.{name}`" for name in fitting[:3])
            return f"select a field: {options}"
        return (
            f"add an adapter node that turns `{type_name(source_type)}` into `{type_name(wanted)}`"
        )


def compile_graph(
    *,
    name: str,
    nodes: dict[str, Node[object]],
    edges: list[RawEdge],
    routes: list[RawRoute],
    inputs: dict[str, object],
    output: str,
    retry: RetryPolicy,
    timeout: float | None,
    pools: dict[str, int],
    description: str,
    problems: list[Problem],
) -> Graph[object]:
    """Validate a graph definition and return it compiled.

    Raises:
        GraphDefinitionError: listing every problem found, when there is at least one.
    """
    # Compiling allocates many small objects that all live on; collecting them midway only
    # burns time (40% of a 10,000-node compile), so the collector waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _compile(
            name=name,
            nodes=nodes,
            edges=edges,
            routes=routes,
            inputs=inputs,
            output=output,
            retry=retry,
            timeout=timeout,
            pools=pools,
            description=description,
            problems=problems,
        )
    finally:
        if collecting:
            gc.enable()


def _compile(
    *,
    name: str,
    nodes: dict[str, Node[object]],
    edges: list[RawEdge],
    routes: list[RawRoute],
    inputs: dict[str, object],
    output: str,
    retry: RetryPolicy,
    timeout: float | None,
    pools: dict[str, int],
    description: str,
    problems: list[Problem],
) -> Graph[object]:
    compiler = _Compiler(name, nodes, inputs, problems)
    problem = compiler.problem
    for node in nodes.values():
        problems.extend(node.problems)
        where = f"node `{node.id}`"
        named = not any(found.code == "missing-id" for found in node.problems)
        if named and (node.id == INPUTS or not _ID.match(node.id)):
            problem(
                "invalid-id",
                where,
                "ids are letters, digits, `_` and `-`, not starting with a digit"
                + (f"; `{INPUTS}` is reserved for graph inputs" if node.id == INPUTS else ""),
                "pass another id=... to add()",
            )
        if node.pool is not None and node.pool not in pools:
            problem(
                "unknown-pool",
                where,
                f"pool `{node.pool}` is not declared",
                _did_you_mean(node.pool, list(pools))
                or f"declare it: GraphBuilder(..., pools={{{node.pool!r}: N}})",
            )
        if node.timeout is not None and node.timeout <= 0:
            problem("invalid-timeout", where, f"timeout must be positive, got {node.timeout}")
    for pool, size in pools.items():
        if not isinstance(size, int) or size < 1:
            problem("invalid-pool", f"pool `{pool}`", f"size must be a positive int, got {size}")
    if timeout is not None and timeout <= 0:
        problem("invalid-timeout", f"graph `{name}`", f"timeout must be positive, got {timeout}")

    _type_joins(name, nodes, inputs, edges)

    resolved: list[Edge] = []
    getters: dict[Edge, Getter | None] = {}
    fed: dict[tuple[str, str], Edge] = {}
    attempted: set[tuple[str, str]] = set()
    for raw in edges:
        location = f"edge `{raw.source}` -> `{raw.target}`"
        source = compiler.resolve_source(raw.source, location)
        target = compiler.resolve_target(raw.target, location)
        if target is not None and source is None:
            attempted.add(target)  # its edge is already reported; not "missing" as well
        if source is None or target is None:
            continue
        edge = Edge(source[0], source[1], target[0], target[1])
        previous = fed.get(target)
        if previous is not None:
            problem(
                "duplicate-edge",
                f"input `{edge.target_ref}`",
                f"fed twice: by `{previous.source_ref}` and by `{edge.source_ref}`",
                "an input takes one edge; combine the values in a node first",
            )
            continue
        fed[target] = edge
        wanted = nodes[edge.target].input(edge.input)
        assert wanted is not None
        if not is_assignable(source[2], wanted.annotation):
            problem(
                "type-mismatch",
                f"edge `{edge.source_ref}` -> `{edge.target_ref}`",
                f"`{edge.source_ref}` is `{type_name(source[2])}`, `{edge.target_ref}` "
                f"expects `{type_name(wanted.annotation)}`",
                compiler.type_hint(edge.source, edge.field, source[2], wanted.annotation),
            )
        resolved.append(edge)
        getters[edge] = source[3]

    for node in nodes.values():
        for item in node.inputs:
            wired = (node.id, item.name) in fed or (node.id, item.name) in attempted
            if item.required and not wired:
                candidates = [n for n in inputs if n == item.name]
                hint = (
                    f"wire it: edge('inputs.{item.name}', '{node.id}.{item.name}')"
                    if candidates
                    else f"add an edge into `{node.id}.{item.name}` or give it a default"
                )
                problem(
                    "missing-input",
                    f"input `{node.id}.{item.name}`",
                    f"required input (`{type_name(item.annotation)}`) has no edge",
                    hint,
                )

    read_inputs = {
        raw.source.split(".", 2)[1] for raw in edges if raw.source.startswith(f"{INPUTS}.")
    }
    for input_name in inputs:
        if input_name not in read_inputs:
            problem(
                "unused-input",
                f"graph input `{input_name}`",
                "no edge reads it",
                f"wire it to a node (`inputs.{input_name}` -> `node.input`) or remove it",
            )

    check_bodies(nodes, problem)
    decided: dict[str, dict[object, tuple[str, ...]]] = {}
    for route in routes:
        if route.router in decided:
            problem("duplicate-route", f"route of `{route.router}`", "routed twice", "")
            continue
        table = check_route(route, nodes, problem)
        if table is not None:
            decided[route.router] = table
    control = sorted(
        {(router, t) for router, table in decided.items() for ts in table.values() for t in ts}
    )

    node_edges = [(edge.source, edge.target) for edge in resolved if edge.source != INPUTS]
    node_edges += control
    ids = list(nodes)
    topology = Topology(ids, node_edges)
    sorted_ids = topology.topological_order()
    in_cycle: set[str] = set()
    for loop in topology.cycles() if sorted_ids is None else ():
        in_cycle.update(loop)
        problem(
            "cycle",
            " -> ".join(f"`{step}`" for step in loop),
            "graphs are acyclic",
            "break the cycle; repeat work with a loop node that has max_iterations",
        )

    out_head, _, out_path = output.partition(".")
    output_type: object = object
    output_node = nodes.get(out_head)
    output_getter: Getter | None = None
    if output_node is None:
        problem(
            "unknown-output",
            f"graph `{name}` output",
            f"`{out_head}` is not a node",
            _did_you_mean(out_head, ids) or "build(output) names the node whose value is returned",
        )
    elif out_path:
        walked = compiler.walk_fields(out_head, output_node.output, out_path, "graph output")
        if walked is not None:
            output_type, output_getter = walked
    else:
        output_type = output_node.output

    # Reachability and dead ends are only meaningful on an acyclic graph.
    if sorted_ids is not None:
        order = sorted_ids
        runnable: set[str] = set()
        incoming: dict[str, list[Edge]] = {node_id: [] for node_id in ids}
        deciders: dict[str, list[str]] = {}
        for router, routed in control:
            deciders.setdefault(routed, []).append(router)
        for edge in resolved:
            incoming[edge.target].append(edge)
        for node_id in order:
            node = nodes[node_id]
            complete = all((node_id, item.name) in fed for item in node.inputs if item.required)
            waits_for = {edge.source for edge in incoming[node_id] if edge.source != INPUTS} | set(
                deciders.get(node_id, ())
            )
            blockers = sorted(waits_for - runnable)
            if complete and not blockers:
                runnable.add(node_id)
            elif blockers:
                problem(
                    "unreachable",
                    f"node `{node_id}`",
                    "can never run: it waits for "
                    + ", ".join(f"`{blocker}`" for blocker in blockers)
                    + ", which can never run",
                    "fix the problems reported for those nodes",
                )
        if output_node is not None:
            feeds_output = topology.ancestors(out_head) | {out_head}
            consumers = {edge.source for edge in resolved} | set(decided)
            for node_id in ids:
                node = nodes[node_id]
                if node_id in feeds_output or node.output is type(None):
                    continue
                if node_id not in consumers:
                    problem(
                        "dead-end",
                        f"node `{node_id}`",
                        "its output reaches neither another node nor the graph output",
                        "connect it, make it the output, or return None for a side-effect node",
                    )
        check_joins(nodes, resolved, topology.ancestors, problem)
    else:
        order = ids

    if problems:
        raise GraphDefinitionError(problems, subject=f"graph `{name}`")

    successors: dict[str, set[str]] = {}
    for before, after in node_edges:
        successors.setdefault(before, set()).add(after)
    regions: dict[str, tuple[str, str]] = {}
    for node in nodes.values():
        if isinstance(node, JoinNode) and node.policy != "all":
            incoming_edges = [edge for edge in resolved if edge.target == node.id]
            found = exclusive_regions(node.id, incoming_edges, successors, order)
            for member, input_name in found.items():
                regions[member] = (node.id, input_name)

    return _assemble(
        name=name,
        nodes=nodes,
        order=order,
        routes=decided,
        regions=regions,
        edges=resolved,
        getters=getters,
        inputs=inputs,
        output=output,
        output_type=output_type,
        output_getter=output_getter,
        retry=retry,
        timeout=timeout,
        pools=pools,
        description=description,
    )


def _assemble(
    *,
    name: str,
    nodes: dict[str, Node[object]],
    order: list[str],
    routes: dict[str, dict[object, tuple[str, ...]]],
    regions: dict[str, tuple[str, str]],
    edges: list[Edge],
    getters: Mapping[Edge, Getter | None],
    inputs: dict[str, object],
    output: str,
    output_type: object,
    output_getter: Getter | None,
    retry: RetryPolicy,
    timeout: float | None,
    pools: dict[str, int],
    description: str,
) -> Graph[object]:
    index = {node_id: position for position, node_id in enumerate(order)}
    targets: dict[str, list[Target]] = {node_id: [] for node_id in order}
    input_targets: dict[str, list[Target]] = {input_name: [] for input_name in inputs}
    required = dict.fromkeys(order, 0)
    for edge in edges:
        target = Target(index[edge.target], edge.input, getters[edge])
        if edge.source == INPUTS:
            assert edge.field is not None
            input_targets[edge.field.partition(".")[0]].append(target)
        else:
            targets[edge.source].append(target)
            required[edge.target] += 1
    for table in routes.values():
        for routed in {routed for ids in table.values() for routed in ids}:
            required[routed] += 1
    steps = tuple(
        _step(nodes[node_id], index, required, targets, routes, regions, nodes, retry, timeout)
        for node_id in order
    )
    members: dict[tuple[int, str], list[int]] = {}
    for step in steps:
        if step.region is not None:
            members.setdefault(step.region, []).append(step.index)
    roots = tuple(step.index for step in steps if step.required == 0)
    plan = Plan(
        steps=steps,
        roots=roots,
        inputs=tuple((input_name, tuple(found)) for input_name, found in input_targets.items()),
        output_step=index[output.partition(".")[0]],
        output_getter=output_getter,
        joins=tuple(step.index for step in steps if isinstance(step.node, JoinNode)),
        regions={region: tuple(found) for region, found in members.items()},
        sequential=len(roots) <= 1
        and all(
            len({target.step for target in step.targets}) <= 1 and not step.route_targets
            for step in steps
        ),
    )
    canonical = _canonical(name, nodes, edges, routes, inputs, output, retry, timeout, pools)
    digest = hashlib.sha256(
        json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    return Graph(
        name=name,
        nodes=MappingProxyType({node_id: nodes[node_id] for node_id in nodes}),
        edges=tuple(edges),
        inputs=MappingProxyType(dict(inputs)),
        output=output,
        output_type=output_type,
        retry=retry,
        timeout=timeout,
        pools=MappingProxyType(dict(pools)),
        routes=MappingProxyType(
            {router: MappingProxyType(dict(table)) for router, table in routes.items()}
        ),
        bound=static_bound(nodes, retry.max_attempts),
        description=description,
        plan=plan,
        content_hash=digest,
        canonical=MappingProxyType(canonical),
    )


def _step(
    node: Node[object],
    index: Mapping[str, int],
    required: Mapping[str, int],
    targets: Mapping[str, list[Target]],
    routes: Mapping[str, Mapping[object, tuple[str, ...]]],
    regions: Mapping[str, tuple[str, str]],
    nodes: Mapping[str, Node[object]],
    retry: RetryPolicy,
    timeout: float | None,
) -> Step:
    table = routes.get(node.id)
    region = regions.get(node.id)
    policy = None if region is None else getattr(nodes[region[0]], "policy", None)
    need = 0
    if isinstance(node, JoinNode):
        count = len(node.inputs)
        need = {"first": 1, "k_of_n": node.k or count}.get(node.policy, count)
    labels = route_labels(node.output) if table is not None else None
    return Step(
        index=index[node.id],
        node=node,
        required=required[node.id],
        targets=tuple(targets[node.id]),
        retry=node.retry or retry,
        timeout=node.timeout if node.timeout is not None else timeout,
        routes=None
        if table is None
        else {label: tuple(index[t] for t in ts) for label, ts in table.items()},
        route_targets=()
        if table is None
        else tuple(sorted({index[t] for ts in table.values() for t in ts})),
        multi_route=table is not None and labels is not None and labels[1],
        region=None if region is None else (index[region[0]], region[1]),
        cancellable=policy in ("first", "k_of_n"),
        collecting=policy == "collect",
        join_need=need,
        optional=frozenset(item.name for item in node.inputs if not item.required),
        direct=isinstance(node, FunctionNode)
        and node.is_async
        and node.context_parameter is None
        and (node.retry or retry).max_attempts == 1
        and (node.timeout if node.timeout is not None else timeout) is None
        and node.pool is None
        and table is None
        and region is None,
    )


def _type_joins(
    name: str, nodes: dict[str, Node[object]], inputs: dict[str, object], edges: list[RawEdge]
) -> None:
    """Give each join the types of what is wired into it (joins may feed joins)."""
    joins = [node_id for node_id, node in nodes.items() if isinstance(node, JoinNode)]
    silent = _Compiler(name, nodes, inputs, [])
    for _ in range(len(joins)):
        changed = False
        for join_id in joins:
            join = nodes[join_id]
            assert isinstance(join, JoinNode)
            types: dict[str, object] = {}
            for raw in edges:
                head, _, input_name = raw.target.partition(".")
                if head != join_id or not input_name:
                    continue
                source = silent.resolve_source(raw.source, "")
                if source is not None:
                    types[input_name] = source[2]
            typed = typed_join(join, types)
            if typed != join:
                nodes[join_id] = typed
                changed = True
        if not changed:
            return


def _callable_name(fn: Callable[..., object]) -> str:
    module = getattr(fn, "__module__", None) or type(fn).__module__
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return f"{module}.{qualname}"


def _kind_facts(node: Node[object]) -> dict[str, object]:
    """What a non-function node adds to its description (bodies by content hash)."""
    if isinstance(node, SubgraphNode):
        return {"graph": node.graph.content_hash}
    if isinstance(node, MapNode):
        return {
            "body": node.body.content_hash,
            "over": node.over,
            "concurrency": node.concurrency,
            "max_items": node.max_items,
            "collect_failures": node.collect_failures,
        }
    if isinstance(node, LoopNode):
        until = None if node.until is None else _callable_name(node.until)
        return {
            "body": node.body.content_hash,
            "carry": node.carry,
            "max_iterations": node.max_iterations,
            "until": until,
        }
    if isinstance(node, JoinNode):
        return {"policy": node.policy, "k": node.k}
    if isinstance(node, HumanNode):
        return {"question": node.question}
    return dict(node.facts())


def _policy(policy: RetryPolicy) -> dict[str, object]:
    return {
        "max_attempts": policy.max_attempts,
        "initial_delay": policy.initial_delay,
        "multiplier": policy.multiplier,
        "max_delay": policy.max_delay,
        "jitter": policy.jitter,
        "retry_on": [type_name(tp, qualified=True) for tp in policy.retry_on],
        "give_up_on": [type_name(tp, qualified=True) for tp in policy.give_up_on],
    }


def _canonical(
    name: str,
    nodes: Mapping[str, Node[object]],
    edges: list[Edge],
    routes: Mapping[str, Mapping[object, tuple[str, ...]]],
    inputs: Mapping[str, object],
    output: str,
    retry: RetryPolicy,
    timeout: float | None,
    pools: Mapping[str, int],
) -> dict[str, object]:
    names: dict[int, str] = {}

    def qualified(tp: object) -> str:
        key = id(tp)
        found = names.get(key)
        if found is None:
            found = names[key] = type_name(tp, qualified=True)
        return found

    # Nodes built from one definition share everything but their id: describe that once.
    shapes: dict[tuple[object, ...], dict[str, object]] = {}
    described = []
    for node_id in sorted(nodes):
        node = nodes[node_id]
        fn = node.fn if isinstance(node, FunctionNode) else None
        key = (type(node), fn, node.inputs, node.output, node.retry, node.timeout, node.pool)
        shape = shapes.get(key) if fn is not None else None
        if shape is None:
            shape = {
                "kind": node.kind,
                "inputs": [
                    [item.name, qualified(item.annotation), item.required] for item in node.inputs
                ],
                "output": qualified(node.output),
                "retry": None if node.retry is None else _policy(node.retry),
                "timeout": node.timeout,
                "pool": node.pool,
            }
            if isinstance(node, FunctionNode):
                shape["callable"] = _callable_name(node.fn)
                shape["blocking"] = node.blocking
                shapes[key] = shape
            else:
                shape.update(_kind_facts(node))
        described.append({"id": node_id, **shape})
    return {
        "name": name,
        "inputs": {input_name: qualified(tp) for input_name, tp in inputs.items()},
        "output": output,
        "nodes": described,
        "edges": sorted(str(edge) for edge in edges),
        "routes": {
            router: {repr(label): list(targets) for label, targets in table.items()}
            for router, table in sorted(routes.items())
        },
        "retry": _policy(retry),
        "timeout": timeout,
        "pools": dict(sorted(pools.items())),
    }
