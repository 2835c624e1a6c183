"""The canonical form of a graph: a JSON-ready description and the content hash over it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence

from plait.graphs._definition import Definition
from plait.graphs._graph import Edge
from plait.graphs._kinds import HumanNode, JoinNode, LoopNode, MapNode, SubgraphNode
from plait.nodes import FunctionNode, Node, RetryPolicy, type_name

__all__ = ["canonical_form", "content_hash"]


def content_hash(canonical: Mapping[str, object]) -> str:
    """The SHA-256 of the canonical form as compact JSON with sorted keys."""
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


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


class _Describer:
    """Describes nodes, naming each type once and each shared function definition once."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}
        self._shapes: dict[tuple[object, ...], dict[str, object]] = {}

    def qualified(self, tp: object) -> str:
        key = id(tp)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = type_name(tp, qualified=True)
        return found

    def node(self, node_id: str, node: Node[object]) -> dict[str, object]:
        # Nodes built from one definition share everything but their id: describe that once.
        fn = node.fn if isinstance(node, FunctionNode) else None
        key = (type(node), fn, node.inputs, node.output, node.retry, node.timeout, node.pool)
        shape = self._shapes.get(key) if fn is not None else None
        if shape is None:
            shape = {
                "kind": node.kind,
                "inputs": [
                    [item.name, self.qualified(item.annotation), item.required]
                    for item in node.inputs
                ],
                "output": self.qualified(node.output),
                "retry": None if node.retry is None else _policy(node.retry),
                "timeout": node.timeout,
                "pool": node.pool,
            }
            if isinstance(node, FunctionNode):
                shape["callable"] = _callable_name(node.fn)
                shape["blocking"] = node.blocking
                self._shapes[key] = shape
            else:
                shape.update(_kind_facts(node))
        if node.cache is not None:  # only then: hashes of graphs without caching stay put
            return {"id": node_id, **shape, "cache": node.cache.describe()}
        return {"id": node_id, **shape}


def canonical_form(
    definition: Definition,
    edges: Sequence[Edge],
    routes: Mapping[str, Mapping[object, tuple[str, ...]]],
) -> dict[str, object]:
    """The structural description of a checked graph, from its resolved edges and routes."""
    describer = _Describer()
    nodes = definition.nodes
    return {
        "name": definition.name,
        "inputs": {name: describer.qualified(tp) for name, tp in definition.inputs.items()},
        "output": definition.output,
        "nodes": [describer.node(node_id, nodes[node_id]) for node_id in sorted(nodes)],
        "edges": sorted(str(edge) for edge in edges),
        "routes": {
            router: {repr(label): list(targets) for label, targets in table.items()}
            for router, table in sorted(routes.items())
        },
        "retry": _policy(definition.retry),
        "timeout": definition.timeout,
        "pools": dict(sorted(definition.pools.items())),
    }
