"""The effect journal: an agent's LLM and tool calls, recorded once and replayed after.

Inside one agent node execution every call gets an index that does not depend on the
attempt: 0 for the first model call, then its tool calls in call order (even when they
run in parallel), then the next model call, and so on. Before a call, the agent asks the
run's ``Journal`` for that index: a recorded entry with the same kind and request hash is
replayed (no model call re-paid, no tool run again); a different one is a
``NondeterminismError``; none means the call is made and recorded before the loop goes on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol, runtime_checkable

from plait.nodes._context import RunContext
from plait.nodes._errors import NondeterminismError
from plait.nodes.llm._codec import (
    canonical_json,
    differences,
    request_data,
    response_data,
    response_from_data,
    tool_request_data,
    tool_result_data,
    tool_result_from_data,
)
from plait.nodes.llm._messages import ToolCall, ToolResult
from plait.nodes.llm._model import ModelRequest, ModelResponse
from plait.nodes.llm._secret import Secrets

__all__ = ["CallLog", "Journal", "JournalEntry", "MemoryJournal"]

CallKind = Literal["llm", "tool", "approval"]
"""``approval``: a person's decision on a tool call, under the call's question key."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One finished call of an agent: what was asked (JSON) and what came back (JSON)."""

    node: str
    """The node's path."""
    index: int
    """The call's place in the node's execution, from 0, the same on every attempt."""
    kind: CallKind
    request_hash: str
    """SHA-256 hex of ``request`` (canonical JSON)."""
    request: bytes = field(repr=False)
    response: bytes = field(repr=False)


@runtime_checkable
class Journal(Protocol):
    """Where a run keeps its agents' calls (the engine's is backed by the run's store)."""

    async def recall(self, node: str, index: int) -> JournalEntry | None:
        """The entry recorded for call ``index`` of ``node``, or None."""
        ...

    async def record(self, entry: JournalEntry) -> None:
        """Keep ``entry`` (replacing one with the same node and index) before returning."""
        ...

    def masked(self, data: bytes) -> bytes:
        """What the journal keeps of ``data`` (JSON): the run's secrets masked. Requests
        are hashed in this form, so a resumed run, whose restored values hold the masks,
        asks what the first run asked."""
        ...


class MemoryJournal:
    """A ``Journal`` in a dictionary: a run without a store still replays its retries."""

    def __init__(
        self,
        entries: Mapping[tuple[str, int], JournalEntry] | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.entries: dict[tuple[str, int], JournalEntry] = dict(entries or {})
        self.secrets = secrets or Secrets()

    async def recall(self, node: str, index: int) -> JournalEntry | None:
        """The entry for call ``index`` of ``node``, or None."""
        return self.entries.get((node, index))

    async def record(self, entry: JournalEntry) -> None:
        """Keep ``entry``."""
        self.entries[entry.node, entry.index] = entry

    def masked(self, data: bytes) -> bytes:
        """``data`` with ``secrets`` masked."""
        return self.secrets.mask_json(data)


class CallLog:
    """One agent execution's calls: numbers them, replays or makes and records each."""

    def __init__(self, context: RunContext | None) -> None:
        self._context = context
        self._journal = None if context is None else context.journal
        self._next = 0

    @property
    def node(self) -> str | None:
        """The agent's path (None outside a run)."""
        return None if self._context is None else self._context.node

    def reserve(self, count: int) -> int:
        """The index of the first of ``count`` calls about to be made, in order."""
        first = self._next
        self._next += count
        return first

    async def model(
        self,
        request: ModelRequest,
        model: str,
        ask: Callable[[], Awaitable[ModelResponse]],
        price: Callable[[ModelResponse], float | None] | None = None,
    ) -> ModelResponse:
        """The reply to ``request``: from the journal, or from ``ask`` (then recorded, with
        its cost as ``price`` says, when given: what the run's usage totals read)."""
        index = self.reserve(1)
        data = request_data(request, model)
        found = await self._replay(index, "llm", data)
        if found is not None:
            return response_from_data(json.loads(found.response))
        response = await ask()
        result: dict[str, object] = response_data(response)
        if price is not None:
            result["cost"] = price(response)
        await self._record(index, "llm", data, result)
        return response

    async def decision(self, key: str) -> bytes | None:
        """The journaled decision (JSON) on the tool call whose question is ``key``."""
        if self._journal is None:
            return None
        found = await self._journal.recall(key, 0)
        return None if found is None or found.kind != "approval" else found.response

    async def tool(
        self,
        index: int,
        call: ToolCall,
        run: Callable[[RunContext | None], Awaitable[ToolResult]],
    ) -> ToolResult:
        """The result of tool call ``index``: from the journal, or from ``run`` (which gets
        a context whose idempotency key is this call's own), then recorded."""
        data = tool_request_data(call)
        found = await self._replay(index, "tool", data)
        if found is not None:
            return tool_result_from_data(call, json.loads(found.response))
        context = self._context
        if context is not None:
            context = replace(context, idempotency_key=f"{context.idempotency_key}/{index}")
        result = await run(context)
        await self._record(index, "tool", data, tool_result_data(result))
        return result

    async def _replay(self, index: int, kind: CallKind, data: object) -> JournalEntry | None:
        if self._journal is None or self._context is None:
            return None
        node = self._context.node
        found = await self._journal.recall(node, index)
        if found is None:
            return None
        if found.kind != kind:
            problem = f"the journal holds a {found.kind} call here, not a {kind} call"
            raise self._changed(index, kind, problem, ())
        sent = self._journal.masked(canonical_json(data))
        if found.request_hash != _hash(sent):
            try:  # both as journaled (masked), so no secret reaches the error's text
                changes = differences(json.loads(found.request), json.loads(sent))
            except ValueError:
                changes = ()
            raise self._changed(index, kind, "the request differs from the journal's", changes)
        return found

    def _changed(
        self, index: int, kind: str, problem: str, changes: tuple[str, ...]
    ) -> NondeterminismError:
        assert self._context is not None
        return NondeterminismError(
            run_id=self._context.run_id,
            node=self._context.node,
            call=index,
            kind=kind,
            problem=problem,
            differences=changes,
        )

    async def _record(self, index: int, kind: CallKind, data: object, result: object) -> None:
        if self._journal is None or self._context is None:
            return
        request = self._journal.masked(canonical_json(data))
        response = self._journal.masked(canonical_json(result))
        entry = JournalEntry(self._context.node, index, kind, _hash(request), request, response)
        await self._journal.record(entry)


def _hash(request: bytes) -> str:
    return hashlib.sha256(request).hexdigest()
