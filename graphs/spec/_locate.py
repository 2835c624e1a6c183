"""Where in a spec a compile problem is: ``edge `a` -> `b.text``` is ``$.nodes[1].inputs.text``.

Compiling a loaded graph runs exactly the checks a Python graph gets; their problems name
nodes, edges and inputs. This module points each one at the spec's JSON path instead,
keeping the original wording.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from plait.graphs.spec._errors import Path, json_path
from plait.nodes import Problem

__all__ = ["Locator", "mentions"]

_QUOTED = re.compile(r"`([^`]*)`")
_EDGE = re.compile(r"edge `(?P<source>[^`]*)` -> `(?P<node>[^`.]*)(?:\.(?P<input>[^`]*))?`\Z")
_INPUT = re.compile(r"input `(?P<node>[^`.]*)\.(?P<input>[^`]*)`\Z")
_NODE = re.compile(r"(?:node|function|subgraph|map|loop|join) `(?P<node>[^`]*)`\Z")
_ROUTE = re.compile(r"route of `(?P<node>[^`]*)`(?: label (?P<label>.*))?\Z")
_GRAPH_INPUT = re.compile(r"graph input `(?P<input>[^`]*)`\Z")
_POOL = re.compile(r"pool `(?P<pool>[^`]*)`\Z")
_CYCLE = re.compile(r"`(?P<node>[^`]*)` -> ")

# The field of a node that a problem about the node is about, by its code (or message).
_NODE_FIELDS: dict[str, str] = {
    "unknown-pool": "pool",
    "invalid-timeout": "timeout",
    "invalid-id": "id",
    "duplicate-id": "id",
    "join-without-fork": "inputs",
}
_MESSAGE_FIELDS = ("max_items", "concurrency", "max_iterations", "unknown policy", "k_of_n")


class Locator:
    """Points the compile problems of one graph of a spec at JSON paths."""

    def __init__(
        self,
        graph_path: Path,
        nodes: Mapping[str, list[int]],
        label_keys: Mapping[tuple[str, str], str],
        kinds: Mapping[str, str],
    ) -> None:
        self.graph_path = graph_path
        self.nodes = nodes
        """Node id -> the indexes in ``nodes`` that use it (more than one: a duplicate)."""
        self.label_keys = label_keys
        """(router id, label as compile messages show it) -> the key in ``routes``."""
        self.kinds = kinds
        """Node id -> its kind, for fields that only some kinds have."""

    def node_path(self, node: str, *, last: bool = False) -> Path | None:
        indexes = self.nodes.get(node)
        if not indexes:
            return None
        return (*self.graph_path, "nodes", indexes[-1] if last else indexes[0])

    def locate(self, problem: Problem) -> Problem:
        """The problem with a JSON path for its location (the old location kept in the
        message where the path alone would lose it)."""
        path = self._path(problem)
        if path is None:
            message = f"{problem.location}: {problem.message}"
            return Problem(problem.code, json_path(self.graph_path), message, problem.hint)
        message = problem.message
        if problem.code == "cycle":
            message = f"{problem.location}: {message}"
        return Problem(problem.code, json_path(path), message, problem.hint)

    def _path(self, problem: Problem) -> Path | None:
        location, code = problem.location, problem.code
        found = _EDGE.match(location) or _INPUT.match(location)
        if found is not None:
            base = self.node_path(found["node"])
            if base is None:
                return None
            name = found["input"]
            return (*base, "inputs", name) if name else (*base, "inputs")
        found = _ROUTE.match(location)
        if found is not None:
            base = self.node_path(found["node"])
            if base is None:
                return None
            label = found["label"]
            if label is None:
                return (*base, "routes")
            key = self.label_keys.get((found["node"], label))
            return (*base, "routes", key) if key is not None else (*base, "routes")
        found = _NODE.match(location)
        if found is not None:
            base = self.node_path(found["node"], last=code == "duplicate-id")
            return None if base is None else (*base, *self._node_field(found["node"], problem))
        found = _GRAPH_INPUT.match(location)
        if found is not None:
            return (*self.graph_path, "inputs", found["input"])
        found = _POOL.match(location)
        if found is not None:
            return (*self.graph_path, "pools", found["pool"])
        if location.endswith("output"):
            return (*self.graph_path, "output")
        if location.startswith("graph `") and code == "invalid-timeout":
            return (*self.graph_path, "timeout")
        found = _CYCLE.match(location)
        if found is not None:
            return self.node_path(found["node"])
        return None

    def _node_field(self, node: str, problem: Problem) -> tuple[str, ...]:
        kind = self.kinds.get(node, "")
        if problem.code in _NODE_FIELDS:
            return (_NODE_FIELDS[problem.code],)
        if problem.code == "unknown-input":
            return ("over",) if kind == "map" else ("carry",) if kind == "loop" else ()
        if problem.code == "type-mismatch" and kind == "loop":
            return ("carry",)
        for word in _MESSAGE_FIELDS:
            if problem.message.startswith(word) or word in problem.message[:20]:
                return {"unknown policy": ("policy",), "k_of_n": ("k",)}.get(word, (word,))
        return ()


def mentions(problem: Problem, ids: Collection[str]) -> bool:
    """Whether the problem's location names one of ``ids`` (as `id` or `id.field`)."""
    if not ids:
        return False
    return any(quoted.split(".")[0] in ids for quoted in _QUOTED.findall(problem.location))
