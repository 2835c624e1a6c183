"""Cache keys: what a cached output is tied to, hashed into one hex string."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from plait.engine.stores._codec import encode
from plait.graphs import Graph
from plait.nodes import CachePolicy

__all__ = ["KEY_VERSION", "cache_key", "node_hash", "uses_cache"]

KEY_VERSION = "plait-cache-1"
"""Mixed into every key: a change to how keys are made is a miss, never a wrong hit."""


def node_hash(graph: Graph[object], node_id: str) -> str:
    """The hash of one node's definition in ``graph``'s canonical form (its kind, callable,
    types, options, and a body's content hash), its cache policy left out."""
    nodes = graph.canonical().get("nodes", [])
    for entry in nodes if isinstance(nodes, list) else []:
        if isinstance(entry, Mapping) and entry.get("id") == node_id:
            shape = {name: value for name, value in entry.items() if name != "cache"}
            text = json.dumps(shape, sort_keys=True, separators=(",", ":"))
            return hashlib.sha256(text.encode()).hexdigest()
    raise KeyError(node_id)  # pragma: no cover - the scheduler only asks for its own nodes


def cache_key(
    policy: CachePolicy, basis: str, path: str, inputs: Mapping[str, object]
) -> str | None:
    """The key of one node execution: ``basis`` (the graph's content hash or the node's
    definition hash, as ``policy.key`` says), the node path, the policy's version and the
    encoded inputs. ``None`` when an input cannot be encoded (the node is then not cached).
    """
    digest = hashlib.sha256()
    for part in (KEY_VERSION, policy.key, basis, path, policy.version):
        digest.update(part.encode())
        digest.update(b"\0")
    try:
        for name in sorted(inputs):
            digest.update(name.encode())
            digest.update(b"\0")
            digest.update(encode(inputs[name]))
            digest.update(b"\0")
    except TypeError:
        return None
    return digest.hexdigest()


def uses_cache(graph: Graph[object]) -> bool:
    """Whether a node of ``graph``, or of a body inside it, has a ``CachePolicy``."""
    from plait.graphs import LoopNode, MapNode, SubgraphNode

    for item in graph.nodes.values():
        if item.cache is not None:
            return True
        if isinstance(item, SubgraphNode) and uses_cache(item.graph):
            return True
        if isinstance(item, MapNode | LoopNode) and uses_cache(item.body):
            return True
    return False
