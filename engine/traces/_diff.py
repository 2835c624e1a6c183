"""Comparing two traces node by node, with a readable unified-style text."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from plait.engine.traces._trace import NodeTrace, Trace

__all__ = ["TraceChange", "TraceDiff", "diff"]

_INLINE = 60
"""Changes of short one-line values fit on their heading line: ``a -> b``."""
_COMPACT = 76
"""Values whose one-line JSON is at most this long are shown on one line."""
_RUN_FIELDS = ("graph", "status", "inputs", "error")
"""Compared before the nodes; the run's output, which repeats a node's, comes last."""
_NODE_FIELDS = ("status", "reason", "attempts", "errors", "inputs", "output", "route")


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceChange:
    """One difference: a field of the run (``node`` is ``None``) or of one node.

    ``field`` is a trace field (``output``, ``status``, ...), ``call 2`` for the second
    reported call, or ``node`` when the node is only in one trace (``before`` or
    ``after`` is then ``None``). Values are the traces' JSON data.
    """

    node: str | None
    field: str
    before: object
    after: object

    @property
    def subject(self) -> str:
        """What changed, as the text shows it: ``run`` or ``node `path```."""
        return "run" if self.node is None else f"node `{self.node}`"

    def lines(self) -> list[str]:
        """The change as text: a heading line, then ``-``/``+`` lines."""
        if self.field == "node":
            if self.before is None:
                return [f"{self.subject}: added ({_status(self.after)})"]
            return [f"{self.subject}: removed (was {_status(self.before)})"]
        if self.field == "status":
            return [
                f"{self.subject}: status changed: {_status(self.before)} -> {_status(self.after)}"
            ]
        if self.before is None:
            return [f"{self.subject}: {self.field} added:", *_marked("+", self.after)]
        if self.after is None:
            return [f"{self.subject}: {self.field} removed:", *_marked("-", self.before)]
        old, new = _render(self.before), _render(self.after)
        heading = f"{self.subject}: {self.field} changed:"
        if len(old) == 1 and len(new) == 1:
            if len(old[0]) + len(new[0]) <= _INLINE:
                return [f"{heading} {old[0]} -> {new[0]}"]
            return [heading, f"  - {old[0]}", f"  + {new[0]}"]
        body = difflib.unified_diff(old, new, lineterm="", n=2)
        return [heading, *(f"  {line}" for line in body if not line.startswith(("---", "+++")))]


@dataclass(frozen=True, slots=True)
class TraceDiff:
    """The differences between two traces, in trace order; falsy and empty when equal."""

    changes: tuple[TraceChange, ...]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def __iter__(self) -> Iterator[TraceChange]:
        return iter(self.changes)

    @property
    def text(self) -> str:
        """Every change, readable (``node `x`: output changed:`` and ``-``/``+`` lines);
        ``""`` when the traces are equal."""
        return "".join(f"{line}\n" for change in self.changes for line in change.lines())

    def __str__(self) -> str:
        return self.text


def diff(before: Trace, after: Trace) -> TraceDiff:
    """What changed from trace ``before`` to trace ``after``, node by node (matched by path)."""
    changes: list[TraceChange] = []
    old_run, new_run = before.to_dict(), after.to_dict()
    for name in _RUN_FIELDS:
        _compare(changes, None, name, old_run.get(name), new_run.get(name))
    old_nodes = {node.node: node for node in before.nodes}
    new_nodes = {node.node: node for node in after.nodes}
    for path in _merged([node.node for node in before.nodes], [node.node for node in after.nodes]):
        old, new = old_nodes.get(path), new_nodes.get(path)
        if old is None or new is None:
            changes.append(
                TraceChange(node=path, field="node", before=_data(old), after=_data(new))
            )
            continue
        _compare_nodes(changes, old, new)
    _compare(changes, None, "output", old_run.get("output"), new_run.get("output"))
    return TraceDiff(tuple(changes))


def _compare_nodes(changes: list[TraceChange], old: NodeTrace, new: NodeTrace) -> None:
    old_data, new_data = old.to_dict(), new.to_dict()
    if old.status != new.status:
        before, after = _summary(old_data), _summary(new_data)
        changes.append(TraceChange(node=old.node, field="status", before=before, after=after))
        if not (old.attempts and new.attempts):
            return  # one side never ran: its other fields would only repeat that
    for name in _NODE_FIELDS[1:]:
        if name == "output":  # calls come before the output, as in the trace
            _compare_calls(changes, old.node, old_data.get("calls"), new_data.get("calls"))
        _compare(changes, old.node, name, old_data.get(name), new_data.get(name))


def _compare_calls(changes: list[TraceChange], path: str, old: object, new: object) -> None:
    old_calls = old if isinstance(old, list) else []
    new_calls = new if isinstance(new, list) else []
    for index in range(max(len(old_calls), len(new_calls))):
        before = old_calls[index] if index < len(old_calls) else None
        after = new_calls[index] if index < len(new_calls) else None
        kind = _kind(after if after is not None else before)
        if _same_slot(before, after):  # same kind, same attempt: only the data differs
            assert isinstance(before, Mapping)
            assert isinstance(after, Mapping)
            before, after = before.get("data"), after.get("data")
        _compare(changes, path, f"call {index + 1} ({kind})", before, after)


def _compare(
    changes: list[TraceChange], node: str | None, name: str, before: object, after: object
) -> None:
    if before != after:
        changes.append(TraceChange(node=node, field=name, before=before, after=after))


def _merged(first: Sequence[str], second: Sequence[str]) -> list[str]:
    """Both path lists in one order: ``second``'s, with each path only in ``first`` kept
    where it stood there, before any path added at that spot (as in a unified diff)."""
    position = {path: index for index, path in enumerate(first)}
    in_second = set(second)
    merged: list[str] = []
    cursor = 0

    def removed_until(end: int) -> None:
        nonlocal cursor
        while cursor < end:
            if first[cursor] not in in_second:
                merged.append(first[cursor])
            cursor += 1

    for path in second:
        if path in position:
            removed_until(position[path])
            cursor = max(cursor, position[path] + 1)
        else:
            while cursor < len(first) and first[cursor] not in in_second:
                merged.append(first[cursor])
                cursor += 1
        merged.append(path)
    removed_until(len(first))
    return merged


def _data(node: NodeTrace | None) -> Mapping[str, object] | None:
    return None if node is None else node.to_dict()


def _summary(data: Mapping[str, object]) -> Mapping[str, object]:
    return {name: data[name] for name in ("status", "reason") if name in data}


def _status(data: object) -> str:
    if not isinstance(data, Mapping):
        return str(data)
    reason = data.get("reason")
    return f"{data.get('status')} ({reason})" if reason else str(data.get("status"))


def _same_slot(before: object, after: object) -> bool:
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return False
    return all(before.get(name) == after.get(name) for name in ("attempt", "kind"))


def _kind(call: object) -> str:
    return str(call.get("kind")) if isinstance(call, Mapping) else "?"


def _render(value: object) -> list[str]:
    if isinstance(value, str) and "\n" in value:
        return value.splitlines()
    compact = json.dumps(value, ensure_ascii=False)
    if len(compact) <= _COMPACT:
        return [compact]
    return json.dumps(value, indent=2, ensure_ascii=False).splitlines()


def _marked(sign: str, value: object) -> list[str]:
    return [f"  {sign} {line}" for line in _render(value)]
