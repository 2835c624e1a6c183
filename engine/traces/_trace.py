"""The canonical trace of a run: what each node did, in a fixed order, as plain JSON data.

``TraceRecorder`` builds one from a run's events; this module holds the value and its
JSON and YAML forms. A trace is canonical when it is made: data keys sorted, volatile
values (run ids, temporary paths, addresses) normalised, secrets masked, nodes ordered by
their place in the graph. So equal runs give byte-identical text, whichever way their
parallel branches interleaved.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from plait.engine._events import RunStatus
from plait.engine._result import NodeStatus
from plait.engine.traces._read import Reader
from plait.nodes import close_matches, dump_yaml, load_yaml

__all__ = [
    "TRACE_VERSION",
    "FailedAttempt",
    "NodeTrace",
    "RouteDecision",
    "Trace",
    "TracedCall",
    "TracedError",
]

TRACE_VERSION = 1
"""The version of the trace format; a reader refuses others."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TracedError:
    """An exception as a trace keeps it: its class name and normalised message."""

    type: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedAttempt:
    """One attempt of a node that raised (retried, or the last one)."""

    attempt: int
    type: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TracedCall:
    """Something a node reported while it ran: an LLM request or response, a tool call, ...

    ``kind`` is the ``RunContext.emit`` kind; ``data`` its canonical JSON data.
    """

    attempt: int
    kind: str
    data: Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteDecision:
    """What a router chose: the ``labels`` it returned, node paths ``taken`` and ``skipped``."""

    labels: tuple[object, ...]
    taken: tuple[str, ...]
    skipped: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeTrace:
    """One node execution: a node of the graph, or of a subgraph, map item or loop turn.

    ``output`` is the node's value when ``status`` is ``succeeded`` (else ``None``);
    ``inputs`` is ``None`` for a node that never started.
    """

    node: str
    """The node's path: ``id``, ``outer/inner``, ``each[3]/node``, ``again[2]/node``."""
    status: NodeStatus
    reason: str | None = None
    """Why it was skipped."""
    attempts: int = 0
    errors: tuple[FailedAttempt, ...] = ()
    inputs: Mapping[str, object] | None = None
    calls: tuple[TracedCall, ...] = ()
    output: object = None
    route: RouteDecision | None = None
    cached: bool = False
    """The output came from the result cache: the node did not run (``attempts`` is 0)."""

    def to_dict(self) -> dict[str, object]:
        """The node as JSON-ready data; empty fields are left out."""
        data: dict[str, object] = {"node": self.node, "status": self.status.value}
        if self.reason is not None:
            data["reason"] = self.reason
        if self.attempts:
            data["attempts"] = self.attempts
        if self.errors:
            data["errors"] = [
                {"attempt": item.attempt, "type": item.type, "message": item.message}
                for item in self.errors
            ]
        if self.inputs is not None:
            data["inputs"] = dict(self.inputs)
        if self.calls:
            data["calls"] = [
                {"attempt": item.attempt, "kind": item.kind, "data": dict(item.data)}
                for item in self.calls
            ]
        if self.status is NodeStatus.SUCCEEDED:
            data["output"] = self.output
        if self.route is not None:
            data["route"] = {
                "labels": list(self.route.labels),
                "taken": list(self.route.taken),
                "skipped": list(self.route.skipped),
            }
        if self.cached:  # only then: traces of runs without the cache stay as they were
            data["cached"] = True
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Trace:
    """The canonical record of one run; equal runs give equal traces and equal text.

    Write it with ``to_json``/``to_yaml``, read it back with ``from_json``/``from_yaml``,
    compare two with ``plait.engine.diff``.
    """

    graph: str
    status: RunStatus
    inputs: Mapping[str, object]
    output: object = None
    """The run's output when it succeeded."""
    error: TracedError | None = None
    nodes: tuple[NodeTrace, ...] = field(default=())

    def node(self, path: str) -> NodeTrace:
        """The execution of the node at ``path``.

        Raises:
            KeyError: when no node at ``path`` is in the trace (naming close matches).
        """
        for item in self.nodes:
            if item.node == path:
                return item
        matches = close_matches(path, [item.node for item in self.nodes])
        hint = f" (did you mean {', '.join(f'`{name}`' for name in matches)}?)" if matches else ""
        raise KeyError(f"no node `{path}` in the trace of graph `{self.graph}`{hint}")

    def to_dict(self) -> dict[str, object]:
        """The trace as JSON-ready data, fields in a fixed order."""
        data: dict[str, object] = {
            "version": TRACE_VERSION,
            "graph": self.graph,
            "status": self.status.value,
            "inputs": dict(self.inputs),
        }
        if self.status is RunStatus.SUCCEEDED:
            data["output"] = self.output
        if self.error is not None:
            data["error"] = {"type": self.error.type, "message": self.error.message}
        data["nodes"] = [item.to_dict() for item in self.nodes]
        return data

    def to_json(self) -> str:
        """Deterministic JSON: two-space indent, UTF-8 text, a trailing newline."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def to_yaml(self) -> str:
        """Block-style YAML with the same content and order as ``to_json``."""
        return dump_yaml(self.to_dict())

    @classmethod
    def from_dict(cls, data: object, *, source: str = "trace") -> Trace:
        """Read a trace from JSON-ready data (as ``to_dict`` makes it).

        Raises:
            ValueError: listing every problem, each at its location (``$.nodes[2].status``).
        """
        reader = Reader(source)
        trace = _read_trace(reader, data)
        reader.check()
        assert trace is not None
        return trace

    @classmethod
    def from_json(cls, text: str, *, source: str = "trace") -> Trace:
        """Read a trace from ``to_json`` text.

        Raises:
            ValueError: when the text is not JSON or not a trace, naming ``source``.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{source}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
            ) from None
        return cls.from_dict(data, source=source)

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "trace") -> Trace:
        """Read a trace from ``to_yaml`` text.

        Raises:
            ValueError: when the text is not YAML or not a trace, naming ``source``.
        """
        return cls.from_dict(load_yaml(text, source=source), source=source)


def _read_trace(reader: Reader, data: object) -> Trace | None:
    top = reader.mapping(data, "$")
    if top is None:
        return None
    version = reader.get(top, "$", "version", int)
    if version is not None and version != TRACE_VERSION:
        reader.problem("$.version", f"expected {TRACE_VERSION}, got {version}")
    graph = reader.get(top, "$", "graph", str)
    status = reader.choice(top, "$", "status", RunStatus)
    inputs = reader.get(top, "$", "inputs", dict)
    error: TracedError | None = None
    found = reader.optional(top, "$", "error", dict)
    if found is not None:
        error = TracedError(
            type=reader.get(found, "$.error", "type", str) or "",
            message=reader.get(found, "$.error", "message", str) or "",
        )
    nodes: list[NodeTrace] = []
    for index, item in enumerate(reader.get(top, "$", "nodes", list) or []):
        node = _read_node(reader, item, f"$.nodes[{index}]")
        if node is not None:
            nodes.append(node)
    reader.only(top, "$", ("version", "graph", "status", "inputs", "output", "error", "nodes"))
    if graph is None or status is None or inputs is None:
        return None
    return Trace(
        graph=graph,
        status=status,
        inputs=inputs,
        output=top.get("output"),
        error=error,
        nodes=tuple(nodes),
    )


def _read_node(reader: Reader, data: object, where: str) -> NodeTrace | None:
    item = reader.mapping(data, where)
    if item is None:
        return None
    path = reader.get(item, where, "node", str)
    status = reader.choice(item, where, "status", NodeStatus)
    errors = [
        FailedAttempt(
            attempt=reader.get(entry, f"{where}.errors[{index}]", "attempt", int) or 0,
            type=reader.get(entry, f"{where}.errors[{index}]", "type", str) or "",
            message=reader.get(entry, f"{where}.errors[{index}]", "message", str) or "",
        )
        for index, entry in _entries(reader, item, where, "errors")
    ]
    calls = [
        TracedCall(
            attempt=reader.get(entry, f"{where}.calls[{index}]", "attempt", int) or 0,
            kind=reader.get(entry, f"{where}.calls[{index}]", "kind", str) or "",
            data=reader.get(entry, f"{where}.calls[{index}]", "data", dict) or {},
        )
        for index, entry in _entries(reader, item, where, "calls")
    ]
    route: RouteDecision | None = None
    found = reader.optional(item, where, "route", dict)
    if found is not None:
        at = f"{where}.route"
        route = RouteDecision(
            labels=tuple(reader.get(found, at, "labels", list) or ()),
            taken=tuple(_strings(reader, found, at, "taken")),
            skipped=tuple(_strings(reader, found, at, "skipped")),
        )
    reader.only(item, where, _NODE_FIELDS)
    if path is None or status is None:
        return None
    return NodeTrace(
        node=path,
        status=status,
        reason=reader.optional(item, where, "reason", str),
        attempts=reader.optional(item, where, "attempts", int) or 0,
        errors=tuple(errors),
        inputs=reader.optional(item, where, "inputs", dict),
        calls=tuple(calls),
        output=item.get("output"),
        route=route,
        cached=reader.optional(item, where, "cached", bool) or False,
    )


_NODE_FIELDS = (
    "node",
    "status",
    "reason",
    "attempts",
    "errors",
    "inputs",
    "calls",
    "output",
    "route",
    "cached",
)


def _entries(
    reader: Reader, item: Mapping[str, object], where: str, key: str
) -> list[tuple[int, Mapping[str, object]]]:
    found: list[tuple[int, Mapping[str, object]]] = []
    for index, entry in enumerate(reader.optional(item, where, key, list) or []):
        mapping = reader.mapping(entry, f"{where}.{key}[{index}]")
        if mapping is not None:
            found.append((index, mapping))
    return found


def _strings(reader: Reader, item: Mapping[str, object], where: str, key: str) -> Sequence[str]:
    values = reader.get(item, where, key, list) or []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            reader.problem(f"{where}.{key}[{index}]", f"expected a string, got {value!r}")
    return [value for value in values if isinstance(value, str)]
