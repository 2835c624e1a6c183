"""What a running node may know about its run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NewType

if TYPE_CHECKING:
    from plait.nodes.agents._journal import Journal
    from plait.nodes.llm._catalog import ModelCatalog
    from plait.nodes.mcp._hub import MCPHub
    from plait.nodes.memory._protocol import Memory
    from plait.nodes.memory._shared import SharedMemory

__all__ = ["NodeId", "RunContext", "RunId"]

NodeId = NewType("NodeId", str)
"""A node's id, unique within its graph."""

RunId = NewType("RunId", str)
"""A run's id, unique within a store."""


@dataclass(frozen=True, slots=True)
class RunContext:
    """Handed to a node that declares a parameter annotated ``RunContext``.

    It is not an input: no edge feeds it, and the graph never sees it.
    """

    run_id: RunId
    node: str
    """The node's path: its id, or ``outer/inner/node`` inside subgraphs."""
    attempt: int
    """1 for the first attempt, 2 for the first retry, and so on."""
    report: Callable[[str, Mapping[str, object]], None] | None = field(
        default=None, compare=False, repr=False
    )
    """Emit a node-level event (``kind``, ``data``) into the run's stream, e.g. a streamed
    LLM token or a tool call; ``None`` when nobody listens."""
    idempotency_key: str = ""
    """The same for every attempt of this node execution, across retries and resumes
    (from the run id, node path and inputs): use it to de-duplicate side effects. A tool
    called by an agent sees its own: this key, ``/``, and the call's journal index."""
    journal: Journal | None = field(default=None, compare=False, repr=False)
    """Where an agent records its LLM and tool calls, and replays them from on a retry or
    resume (the engine gives every node the run's journal; ``None`` outside a run)."""
    memory: Memory | None = field(default=None, compare=False, repr=False)
    """The run's conversation threads, kept in its store and shared with every run that
    names the same thread (``None`` for a run without a store: agents then remember only
    through a ``memory=`` they are given)."""
    models: ModelCatalog | None = field(default=None, compare=False, repr=False)
    """The run's default model catalog, held open for the run: an agent that names no
    catalog of its own resolves its model here, so its SDK client is shared."""
    mcp: MCPHub | None = field(default=None, compare=False, repr=False)
    """The run's MCP servers, started once and shared by its agents (``None``: none)."""
    shared: SharedMemory | None = field(default=None, compare=False, repr=False)
    """The run's shared memory: typed keys (``Key``) per run, thread or graph, each
    write committed with this node's output (``None`` outside a run)."""
    trace: Callable[[str], Mapping[str, str]] | None = field(
        default=None, compare=False, repr=False
    )
    """The run's trace context for work done elsewhere, as W3C headers (``traceparent``):
    given a tool call's id, that call's span (else this node's); ``None`` untraced."""
    tokens: bool = field(default=True, compare=False, repr=False)
    """Whether anyone listening wants streamed ``token`` reports: when every listener of
    the run says it does not (``tokens = False``), agents need not stream their replies."""

    def emit(self, kind: str, data: Mapping[str, object]) -> None:
        """Report something this node did (``"token"``, ``"tool_call"``, ...) as an event."""
        if self.report is not None:
            self.report(kind, data)
