"""A cassette's journal: the effect journal of a run, written to (or read from) a file.

A ``Reel`` is one recorded run: node path -> the model calls made there, in order (the
cassette file's data), and the ``JournalEntry`` each answered call and tool result
stands for. A ``CassetteJournal`` is the ``Journal`` an agent execution sees. Recording,
it is the run's own journal (the checkpointer, or the memory journal) with every entry
also written to the reel: a small tee. Replaying, its entries are the reel's, so the agent
replays them through ``CallLog`` exactly as a resumed agent does, and calls neither the
model nor its tools; a request that differs is a ``CassetteMismatchError``.

A failed model call is not a journal entry (a retry asks again), so the reel keeps it
beside the entries, keyed by call index and attempt, and the cassette's model replays it
as the same error, so retries replay too.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Mapping
from typing import Literal

import plait.nodes
from plait.engine import Canonicaliser, Redaction
from plait.nodes import (
    Journal,
    JournalEntry,
    ModelRequest,
    NondeterminismError,
    PlaitError,
    Secret,
    ToolCall,
    canonical_json,
    differences,
    request_data,
    response_from_data,
)

__all__ = ["CassetteJournal", "CassetteMismatchError", "Reel"]

Calls = list[dict[str, object]]
_RUN_MASK = str(Secret("-"))
"""How the run's journal masks a secret (as a ``Secret`` shows itself)."""
_ERROR_FIELDS = ("provider", "status", "error_type", "request_id", "retry_after")


class CassetteMismatchError(PlaitError):
    """A replayed run asked for something the cassette did not record.

    ``node`` is the node path, ``call`` the model call's number at that node (from 1),
    ``differences`` what differed (``$.messages[0].content[0].text: 'a' -> 'b'``).
    """

    def __init__(self, node: str, call: int, problem: str, differences: tuple[str, ...] = ()):
        self.node = node
        self.call = call
        self.problem = problem
        self.differences = differences
        lines = [f"cassette mismatch at node `{node}`, call {call}: {problem}"]
        lines.extend(f"  {line}" for line in differences)
        lines.append("  (record the cassette again if the change is intended)")
        super().__init__("\n".join(lines))


class Reel:
    """One run of a cassette: its calls by node path, and the journal entries they hold."""

    def __init__(self, nodes: dict[str, Calls], mcp: dict[str, object] | None = None) -> None:
        self.nodes = nodes
        self.mcp: dict[str, object] = mcp if mcp is not None else {}
        """Node path -> what its agent's MCP servers gave it (``_cassette_mcp.py``)."""
        self.entries: dict[tuple[str, int], JournalEntry] = {}
        self.errors: dict[tuple[str, int, int], dict[str, object]] = {}
        for node, calls in nodes.items():
            position = 0  # a file without ``index`` fields: each answer moves it on
            for call in calls:
                index = call.setdefault("index", position)
                assert isinstance(index, int)
                position = self._learn(node, index, call)

    def calls(self, node: str) -> Calls:
        """The calls recorded at ``node`` (a new, empty list for a node not seen yet)."""
        return self.nodes.setdefault(node, [])

    def number(self, node: str, index: int, kind: str, attempt: int = 1) -> int:
        """The model call number (from 1) that journal index ``index`` belongs to."""
        calls = self.nodes.get(node, [])
        before = sum(1 for c in calls if _index(c) < index)
        if kind != "llm":
            return max(before, 1)
        return 1 + before + sum(1 for c in calls if _index(c) == index and _attempt(c) < attempt)

    def tool_slot(self, node: str, index: int) -> dict[str, object] | None:
        """The recorded tool call with journal index ``index``, if any."""
        for call in self.nodes.get(node, []):
            tools = call.get("tools")
            first = _index(call) + 1
            if "response" in call and isinstance(tools, list) and 0 <= index - first < len(tools):
                slot = tools[index - first]
                return slot if isinstance(slot, dict) else None
        return None

    def _learn(self, node: str, index: int, call: dict[str, object]) -> int:
        error = call.get("error")
        if "response" not in call:
            if isinstance(error, Mapping):
                self.errors[node, index, _attempt(call)] = dict(error)
            return index
        self.entries[node, index] = _entry(node, index, "llm", _request(call), call["response"])
        tools = call.get("tools")
        slots = [s for s in tools if isinstance(s, Mapping)] if isinstance(tools, list) else []
        for offset, slot in enumerate(slots, 1):
            if "result" in slot:
                asked = {"name": slot.get("name"), "arguments": slot.get("arguments")}
                entry = _entry(node, index + offset, "tool", asked, slot["result"])
                self.entries[node, index + offset] = entry
        return index + 1 + len(slots)


class CassetteJournal:
    """The journal of one agent execution under a cassette (see the module docstring)."""

    def __init__(
        self,
        reel: Reel,
        *,
        mode: Literal["record", "replay"],
        run_id: str,
        node: str,
        attempt: int,
        inner: Journal,
        redaction: Redaction,
        secrets: tuple[object, ...],
        mismatches: list[CassetteMismatchError],
    ) -> None:
        self.reel = reel
        self.mode = mode
        self.run_id = run_id
        self.node = node
        self.attempt = attempt
        self.inner = inner
        self.recalls = 0
        """How many calls the agent asked the journal for (the resume code path)."""
        self.pending = 0
        """The index asked for last: the model call being made, when the model is asked."""
        self._redaction = redaction
        self._secrets = secrets
        self._mismatches = mismatches

    @property
    def recording(self) -> bool:
        """Whether calls are made (and written to the reel) rather than replayed."""
        return self.mode == "record"

    async def recall(self, node: str, index: int) -> JournalEntry | None:
        """Recording: the run's journal's entry. Replaying: the reel's (none for a call
        that failed in this attempt, so the model replays the failure)."""
        self.recalls += 1
        self.pending = index
        if self.recording or (node, index, self.attempt) in self.reel.errors:
            return await self.inner.recall(node, index)
        found = self.reel.entries.get((node, index))
        return found if found is not None else await self.inner.recall(node, index)

    async def record(self, entry: JournalEntry) -> None:
        """Keep ``entry`` in the run's journal and, recording, write it to the reel."""
        await self.inner.record(entry)
        if not self.recording or entry.node != self.node:
            return
        calls = self.reel.calls(entry.node)
        if entry.kind == "llm":
            request = self._request(entry.request, entry.index)
            response = _loads(entry.response)
            call = {**request, "response": self._canonical(response)}
            tools = response_from_data(response).message.tool_calls
            if tools:
                call["tools"] = self._canonical([_call_data(item) for item in tools])
            calls.append({"call": len(calls) + 1, **call})
        elif entry.kind == "tool":
            slot = self.reel.tool_slot(entry.node, entry.index)
            if slot is not None:
                asked = _loads(entry.request)
                slot["result"] = self._canonical(_loads(entry.response), asked)

    def record_mcp(self, parts: Mapping[str, object]) -> None:
        """Recording: keep what the agent's MCP servers gave it, masked as its calls are."""
        if self.recording:
            sent = self.inner.masked(canonical_json(parts))
            self.reel.mcp[self.node] = self._canonical(_loads(sent))

    def recorded_mcp(self) -> Mapping[str, object]:
        """Replaying: what the agent's MCP servers gave it when it was recorded.

        Raises:
            CassetteMismatchError: the cassette kept none for this node.
        """
        found = self.reel.mcp.get(self.node)
        if not isinstance(found, Mapping):
            problem = "the cassette holds no MCP tool list for this node"
            raise self.mismatch(0, "llm", problem)
        return found

    def masked(self, data: bytes) -> bytes:
        """Recording: the run's journal's masking. Replaying: that, then the cassette's
        (its ``Redaction``, as the file was written), so the hashes compare."""
        inner = self.inner.masked(data)
        return inner if self.recording else canonical_json(self._canonical(_loads(inner)))

    def failed(self, request: ModelRequest, model: str, error: Exception) -> None:
        """Write a failed model call (the one at ``pending``) to the reel."""
        calls = self.reel.calls(self.node)
        sent = self.inner.masked(canonical_json(request_data(request, model)))
        asked = self._request(sent, self.pending)
        found = {**asked, "error": self._canonical(_error_data(error))}
        calls.append({"call": len(calls) + 1, **found})

    def unanswered(self, request: ModelRequest, model: str) -> Exception:
        """What a replayed model call the journal did not answer raises: the recorded
        error of this attempt, else a mismatch."""
        error = self.reel.errors.get((self.node, self.pending, self.attempt))
        if error is None:
            count = len(self.reel.nodes.get(self.node, []))
            problem = f"the cassette recorded {count} model call(s) at this node"
            return self.mismatch(self.pending, "llm", problem)
        recorded = next(
            c
            for c in self.reel.nodes[self.node]
            if _index(c) == self.pending and _attempt(c) == self.attempt and "error" in c
        )
        sent = json.loads(self.masked(canonical_json(request_data(request, model))))
        changes = differences(_request(recorded), sent)
        if changes:
            return self.mismatch(self.pending, "llm", _DIFFERS, changes)
        return _rebuild_error(error)

    def unrecorded_tool(self, call: ToolCall) -> CassetteMismatchError:
        """What a replayed tool call the journal did not answer raises."""
        problem = f"tool call `{call.id}` (`{call.name}`) is not in the cassette"
        return self.mismatch(self.pending, "tool", problem)

    def mismatch_of(self, error: NondeterminismError) -> CassetteMismatchError:
        """The journal's ``NondeterminismError``, told as a cassette mismatch."""
        problem = _DIFFERS
        if error.kind == "tool":
            slot = self.reel.tool_slot(self.node, error.call) or {}
            problem = f"tool call `{slot.get('id')}` (`{slot.get('name')}`) differs"
        elif error.kind != "llm":
            problem = error.problem
        return self.mismatch(error.call, error.kind, problem, error.differences)

    def mismatch(
        self, index: int, kind: str, problem: str, changes: tuple[str, ...] = ()
    ) -> CassetteMismatchError:
        """A mismatch at journal index ``index``, kept in the cassette's list too."""
        number = self.reel.number(self.node, index, kind, self.attempt)
        found = CassetteMismatchError(self.node, number, problem, changes)
        self._mismatches.append(found)
        return found

    def _request(self, data: bytes, index: int) -> dict[str, object]:
        """A call's file fields from a journaled request: ``index``, ``attempt``,
        ``model`` (out of the request) and the canonical ``request``."""
        request = self._canonical(_loads(data))
        assert isinstance(request, dict)
        model = request.pop("model_name", "")
        return {"index": index, "attempt": self.attempt, "model": model, "request": request}

    def _canonical(self, data: object, *related: object) -> object:
        canon = Canonicaliser(self._redaction, self.run_id)
        for value in (*self._secrets, *related, data):
            canon.collect(value)
        canon.ready()
        return canon.value(data)


_DIFFERS = "the model request differs (recorded -> now)"


def _loads(data: bytes) -> object:
    """Journaled JSON, with the run journal's masks shown as a trace shows them."""
    return json.loads(data.decode("utf-8").replace(_RUN_MASK, "***"))


def _index(call: Mapping[str, object]) -> int:
    found = call.get("index", 0)
    return found if isinstance(found, int) else 0


def _attempt(call: Mapping[str, object]) -> int:
    found = call.get("attempt", 1)
    return found if isinstance(found, int) else 1


def _request(call: Mapping[str, object]) -> dict[str, object]:
    request = call.get("request")
    found = dict(request) if isinstance(request, Mapping) else {}
    found["model_name"] = call.get("model", "")
    return found


def _entry(
    node: str, index: int, kind: Literal["llm", "tool"], asked: object, answer: object
) -> JournalEntry:
    request = canonical_json(asked)
    digest = hashlib.sha256(request).hexdigest()
    return JournalEntry(node, index, kind, digest, request, canonical_json(answer))


def _call_data(call: ToolCall) -> dict[str, object]:
    return {"id": call.id, "name": call.name, "arguments": dict(call.arguments)}


def _error_data(error: Exception) -> dict[str, object]:
    data: dict[str, object] = {"type": type(error).__name__, "message": str(error)}
    for name in _ERROR_FIELDS:
        if getattr(error, name, None) is not None:
            data[name] = getattr(error, name)
    return data


def _rebuild_error(data: Mapping[str, object]) -> Exception:
    """The recorded error again: plait's provider errors exactly (type, message, status,
    ``retry_after``), built-in exceptions by type, anything else as a ``RuntimeError``."""
    name, message = str(data.get("type", "")), str(data.get("message", ""))
    found = getattr(plait.nodes, name, None) or getattr(builtins, name, None)
    if not (isinstance(found, type) and issubclass(found, Exception)):
        return RuntimeError(f"{name}: {message}")
    if not issubclass(found, PlaitError):
        return found(message)
    error = found.__new__(found)
    Exception.__init__(error, message)
    for field_name in _ERROR_FIELDS:
        if field_name in data or issubclass(found, plait.nodes.ProviderError):
            setattr(error, field_name, data.get(field_name))
    return error
