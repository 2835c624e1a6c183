"""The moving parts of a cassette: the recording/replaying model client and tools.

A ``Deck`` holds the cassette's runs as canonical JSON data. Each node execution gets a
``Tape`` (per run and node path) counting its model calls; an agent hands its
``RunContext`` to the ``TapedModel`` (``AgentNode.client(context)``), and each tool gets
it in ``invoke``, so both key their calls by ``context.node``. An agent run without a
context (``await agent.run(inputs)``) is keyed by the agent's id, in call order.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

import plait.nodes
from plait.engine import Canonicaliser, Redaction
from plait.nodes import (
    DeltaHandler,
    ModelClient,
    ModelRequest,
    ModelResponse,
    PlaitError,
    RunContext,
    TextDelta,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolResult,
    differences,
    request_data,
    response_data,
    response_from_data,
    tool_result_data,
    tool_result_from_data,
)

__all__ = ["CassetteMismatchError", "Deck", "TapedModel", "differences", "taped_tool"]

Calls = list[dict[str, object]]
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


@dataclasses.dataclass(slots=True)
class Tape:
    """One node path's calls in one run, and how far the run has got."""

    calls: Calls
    position: int = 0
    current: dict[str, object] | None = None


class Deck:
    """A cassette's runs and the tapes of the runs in progress."""

    def __init__(
        self,
        *,
        mode: Literal["record", "replay"],
        runs: list[dict[str, Calls]],
        redaction: Redaction,
    ) -> None:
        self.mode = mode
        self.runs = runs
        self.redaction = redaction
        self.mismatches: list[CassetteMismatchError] = []
        self._secrets: list[object] = []
        self._run_of: dict[str, int] = {}
        self._tapes: dict[tuple[int, str], Tape] = {}

    def add_secrets(self, value: object) -> None:
        """Scrub the secrets inside ``value`` (a catalog's configuration) from every call."""
        self._secrets.append(value)

    def tape(self, run_id: str, node: str) -> Tape:
        """The tape of ``node`` in run ``run_id`` (the next recorded run, for a new id)."""
        run = self._run_of.get(run_id)
        if run is None:
            run = self._run_of[run_id] = len(self._run_of)
            if self.mode == "record":
                self.runs.append({})
        key = (run, node)
        found = self._tapes.get(key)
        if found is None:
            if self.mode == "record":
                calls = self.runs[run].setdefault(node, [])
            elif run < len(self.runs):
                calls = self.runs[run].get(node, [])
            else:
                raise self.mismatch(
                    node, 1, f"the cassette holds {len(self.runs)} run(s); this is run {run + 1}"
                )
            found = self._tapes[key] = Tape(calls)
        return found

    def canonical(self, data: object, run_id: str, *related: object) -> object:
        """``data`` as canonical, masked JSON data (as a trace would show it); the secrets
        found in ``related`` values (a tool call's arguments) are scrubbed from it too."""
        canon = Canonicaliser(self.redaction, run_id)
        for value in (*self._secrets, *related, data):
            canon.collect(value)
        canon.ready()
        return canon.value(data)

    def mismatch(
        self, node: str, call: int, problem: str, differences: tuple[str, ...] = ()
    ) -> CassetteMismatchError:
        error = CassetteMismatchError(node, call, problem, differences)
        self.mismatches.append(error)
        return error


class TapedModel:
    """Stands in for an agent's model: binds to each node execution (``for_node``)."""

    def __init__(self, deck: Deck, *, agent: str, resolve: Callable[[], ModelClient]) -> None:
        self._deck = deck
        self._agent = agent
        self._resolve = resolve
        self._unbound: _BoundModel | None = None

    def for_node(self, context: RunContext) -> ModelClient:
        """A client recording or replaying the calls of node ``context.node``."""
        return _BoundModel(self._deck, context.run_id, context.node, context.attempt, self)

    def _without_context(self) -> _BoundModel:
        if self._unbound is None:
            self._unbound = _BoundModel(self._deck, "", self._agent, 1, self)
        return self._unbound

    @property
    def name(self) -> str:
        """The name of the model answering (recorded, in replay)."""
        return self._without_context().name

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """A call from an agent run without a context, keyed by the agent's id."""
        return await self._without_context().complete(request)

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        """As ``complete``, streamed."""
        return await self._without_context().stream(request, on_delta)


class _BoundModel:
    def __init__(self, deck: Deck, run_id: str, node: str, attempt: int, owner: TapedModel):
        self._deck = deck
        self._run_id = run_id
        self._node = node
        self._attempt = attempt
        self._tape = deck.tape(run_id, node)
        self._inner: ModelClient | None = None
        if deck.mode == "record":
            self._inner = owner._resolve()  # a fresh client per execution, as without tape

    @property
    def name(self) -> str:
        if self._inner is not None:
            return self._inner.name
        tape = self._tape
        index = min(tape.position, len(tape.calls)) - 1 if tape.position else 0
        return str(tape.calls[index].get("model", "")) if tape.calls else ""

    async def complete(self, request: ModelRequest) -> ModelResponse:
        if self._inner is None:
            return self._replay(request)
        inner = self._inner
        return await self._record(request, inner.name, lambda: inner.complete(request))

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        if self._inner is None:
            response = self._replay(request)
            if response.message.text:
                on_delta(TextDelta(response.message.text))
            for index, call in enumerate(response.message.tool_calls):
                arguments = json.dumps(dict(call.arguments))
                on_delta(ToolCallDelta(index, call.id, call.name, arguments))
            return response
        inner = self._inner
        return await self._record(request, inner.name, lambda: inner.stream(request, on_delta))

    async def _record(
        self, request: ModelRequest, model: str, ask: Callable[[], Awaitable[ModelResponse]]
    ) -> ModelResponse:
        tape = self._tape
        tape.position += 1
        entry: dict[str, object] = {
            "call": tape.position,
            "attempt": self._attempt,
            "model": model,
            "request": self._deck.canonical(request_data(request), self._run_id),
        }
        tape.calls.append(entry)
        tape.current = entry
        try:
            response = await ask()
        except Exception as error:
            entry["error"] = self._deck.canonical(_error_data(error), self._run_id)
            raise
        entry["response"] = self._deck.canonical(response_data(response), self._run_id)
        if response.message.tool_calls:
            entry["tools"] = self._deck.canonical(
                [
                    {"id": call.id, "name": call.name, "arguments": dict(call.arguments)}
                    for call in response.message.tool_calls
                ],
                self._run_id,
            )
        return response

    def _replay(self, request: ModelRequest) -> ModelResponse:
        tape = self._tape
        tape.position += 1
        number = tape.position
        if number > len(tape.calls):
            raise self._deck.mismatch(
                self._node,
                number,
                f"the cassette recorded {len(tape.calls)} model call(s) at this node",
            )
        entry = tape.calls[number - 1]
        tape.current = entry
        sent = self._deck.canonical(request_data(request), self._run_id)
        changes = differences(entry.get("request"), sent)
        if changes:
            raise self._deck.mismatch(
                self._node, number, "the model request differs (recorded -> now)", changes
            )
        error = entry.get("error")
        if isinstance(error, Mapping):
            raise _rebuild_error(error)
        return response_from_data(entry.get("response"))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _TapedTool(Tool[..., object]):
    deck: Deck = dataclasses.field(repr=False, compare=False)
    agent: str = ""

    async def invoke(self, call: ToolCall, context: RunContext | None = None) -> ToolResult:
        run_id, node = ("", self.agent) if context is None else (context.run_id, context.node)
        deck = self.deck
        tape = deck.tape(run_id, node)
        entry = tape.current or {}
        listed = entry.get("tools")
        tools = (
            [item for item in listed if isinstance(item, dict)] if isinstance(listed, list) else []
        )
        slot = next((item for item in tools if item.get("id") == call.id), None)
        if deck.mode == "record":
            result = await Tool.invoke(self, call, context)
            if slot is not None:
                slot["result"] = deck.canonical(
                    tool_result_data(result),
                    run_id,
                    dict(call.arguments),
                )
            return result
        where = f"tool call `{call.id}` (`{call.name}`)"
        if slot is None or not isinstance(slot.get("result"), Mapping):
            raise deck.mismatch(node, tape.position, f"{where} is not in the cassette")
        sent = {"name": call.name, "arguments": deck.canonical(dict(call.arguments), run_id)}
        changes = differences({"name": slot.get("name"), "arguments": slot.get("arguments")}, sent)
        if changes:
            raise deck.mismatch(node, tape.position, f"{where} differs", changes)
        return tool_result_from_data(call, slot["result"])


def taped_tool(item: Tool[..., object], deck: Deck, agent: str) -> Tool[..., object]:
    """``item`` recording its results to (or replaying them from) ``deck``."""
    values = {field.name: getattr(item, field.name) for field in dataclasses.fields(Tool)}
    return _TapedTool(**values, deck=deck, agent=agent)


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
