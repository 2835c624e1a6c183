"""A resumed run's graph checked against the graph it started with: what changed."""

from __future__ import annotations

from collections.abc import Mapping

from plait.nodes import PlaitError

__all__ = ["GraphChangedError", "describe_change"]


class GraphChangedError(PlaitError):
    """Resuming under a graph that is not the one the run started with."""


def describe_change(old: Mapping[str, object], new: Mapping[str, object]) -> str:
    """What differs between two canonical graph descriptions, in a few words."""
    changes: list[str] = []
    old_nodes = {str(n["id"]): n for n in _nodes(old)}
    new_nodes = {str(n["id"]): n for n in _nodes(new)}
    for name in sorted(old_nodes.keys() - new_nodes.keys()):
        changes.append(f"node `{name}` removed")
    for name in sorted(new_nodes.keys() - old_nodes.keys()):
        changes.append(f"node `{name}` added")
    for name in sorted(old_nodes.keys() & new_nodes.keys()):
        if old_nodes[name] != new_nodes[name]:
            fields = sorted(
                key
                for key in old_nodes[name].keys() | new_nodes[name].keys()
                if old_nodes[name].get(key) != new_nodes[name].get(key)
            )
            changes.append(f"node `{name}` changed ({', '.join(fields)})")
    for key in ("edges", "routes", "inputs", "output", "retry", "timeout", "pools", "name"):
        if old.get(key) != new.get(key):
            changes.append(f"{key} changed")
    return "; ".join(changes) or "the content hash differs"


def _nodes(canonical: Mapping[str, object]) -> list[Mapping[str, object]]:
    nodes = canonical.get("nodes", [])
    return [node for node in nodes if isinstance(node, Mapping)] if isinstance(nodes, list) else []
