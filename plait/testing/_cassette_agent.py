"""An agent under a cassette: the same agent, with the cassette's journal as its run's.

``CassetteAgent.run`` hands the agent a ``RunContext`` whose journal is the cassette's
(``CassetteJournal``, over the run's own), so recording and replaying are the effect
journal's record and recall. What stays outside the journal is thin: the agent's model
becomes a ``CassetteModel`` (recording, the agent's own client, whose failures are written
to the reel; replaying, never resolved, so no API key or socket is needed, and asked only
for what the journal cannot answer: a recorded failure or a mismatch), and, replaying,
each tool a stand-in that never runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from plait.nodes import (
    AgentNode,
    AgentResult,
    DeltaHandler,
    MemoryJournal,
    ModelClient,
    ModelRequest,
    ModelResponse,
    NondeterminismError,
    RunContext,
    RunId,
    Secrets,
    Tool,
    ToolCall,
    ToolResult,
)
from plait.nodes.mcp import AgentParts, MCPReference
from plait.testing._cassette_journal import CassetteJournal
from plait.testing._cassette_mcp import parts_data, replayed_parts

if TYPE_CHECKING:
    from plait.testing._cassette import Cassette

__all__ = ["CassetteAgent", "CassetteModel", "cassette_agent"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CassetteAgent(AgentNode[object]):
    """An agent whose calls go through a cassette's journal."""

    cassette: Cassette | None = field(default=None, compare=False, repr=False)

    @property
    def mcp_servers(self) -> tuple[MCPReference, ...]:
        """Replaying, none: the MCP tools come from the cassette, so no server starts."""
        replaying = self.cassette is not None and self.cassette.mode == "replay"
        return () if replaying else self.mcp

    async def _mcp_parts(self, context: RunContext | None) -> AgentParts:
        journal = None if context is None else context.journal
        if not self.mcp or not isinstance(journal, CassetteJournal):
            return await AgentNode._mcp_parts(self, context)
        if not journal.recording:
            return replayed_parts(journal.recorded_mcp())
        parts = await AgentNode._mcp_parts(self, context)
        journal.record_mcp(parts_data(parts))
        return parts

    async def run(
        self, inputs: Mapping[str, object], *, context: RunContext | None = None
    ) -> AgentResult[object]:
        """Run the agent with the cassette's journal (a run without a context is keyed
        by the agent's id)."""
        assert self.cassette is not None
        if context is None:
            context = RunContext(RunId(""), self.id, 1)
        inner = context.journal if context.journal is not None else MemoryJournal()
        journal = self.cassette.journal(context.run_id, context.node, context.attempt, inner)
        try:
            return await AgentNode.run(
                self, inputs, context=dataclasses.replace(context, journal=journal)
            )
        except NondeterminismError as error:
            if journal.recording or error.node != journal.node:
                raise
            raise journal.mismatch_of(error) from None


class CassetteModel:
    """An agent's model under a cassette: bound to each execution (``for_node``)."""

    def __init__(self, original: str | ModelClient, resolve: Callable[[], ModelClient]) -> None:
        self._original = original
        self._resolve = resolve

    def for_node(self, context: RunContext) -> ModelClient:
        """Recording, the agent's own client (a new one, as without a cassette);
        replaying, the recorded model's stand-in."""
        journal = context.journal
        if not isinstance(journal, CassetteJournal):
            raise TypeError("a cassette's model answers only inside its cassette agent")
        return _BoundModel(journal, self._resolve() if journal.recording else None)

    def secrets(self) -> Secrets:
        """The secrets of the agent's own client (masked as they would be without)."""
        own = getattr(self._original, "secrets", None)
        found = own() if callable(own) else None
        return found if isinstance(found, Secrets) else Secrets()

    @property
    def name(self) -> str:
        """The agent's model, as given."""
        return self._original if isinstance(self._original, str) else self._original.name

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Refused: the agent asks ``for_node`` for its client."""
        raise TypeError("a cassette's model answers only inside its cassette agent")

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        """Refused, as ``complete``."""
        raise TypeError("a cassette's model answers only inside its cassette agent")


class _BoundModel:
    def __init__(self, journal: CassetteJournal, client: ModelClient | None) -> None:
        self._journal = journal
        self._client = client

    @property
    def name(self) -> str:
        if self._client is not None:
            return self._client.name
        calls = self._journal.reel.nodes.get(self._journal.node) or [{}]
        return str(calls[0].get("model", ""))

    async def complete(self, request: ModelRequest) -> ModelResponse:
        if self._client is None:
            raise self._journal.unanswered(request, self.name)
        try:
            return await self._client.complete(request)
        except Exception as error:
            self._journal.failed(request, self._client.name, error)
            raise

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        if self._client is None:
            raise self._journal.unanswered(request, self.name)
        try:
            return await self._client.stream(request, on_delta)
        except Exception as error:
            self._journal.failed(request, self._client.name, error)
            raise


@dataclass(frozen=True, slots=True, kw_only=True)
class _UnrecordedTool(Tool[..., object]):
    """A replayed agent's tool: the journal answers its calls; one it cannot is a mismatch."""

    async def invoke(self, call: ToolCall, context: RunContext | None = None) -> ToolResult:
        journal = None if context is None else context.journal
        if not isinstance(journal, CassetteJournal):
            raise TypeError("a replayed tool answers only inside its cassette agent")
        raise journal.unrecorded_tool(call)


def cassette_agent(node: AgentNode[object], cassette: Cassette) -> CassetteAgent:
    """``node`` recording to (or replaying from) ``cassette``."""
    values = {item.name: getattr(node, item.name) for item in dataclasses.fields(AgentNode)}
    values["model"] = CassetteModel(node.model, node.client)
    if cassette.mode == "replay":
        values["tools"] = tuple(_stand_in(item) for item in node.tools)
    return CassetteAgent(**values, cassette=cassette)


def _stand_in(item: Tool[..., object]) -> Tool[..., object]:
    values = {field.name: getattr(item, field.name) for field in dataclasses.fields(Tool)}
    return cast(Tool[..., object], _UnrecordedTool(**values))
