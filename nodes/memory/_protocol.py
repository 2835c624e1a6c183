"""The ``Memory`` protocol: where an agent reads a thread's history and appends its turn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from plait.nodes.llm._messages import Message

__all__ = ["Memory"]


@runtime_checkable
class Memory(Protocol):
    """Conversation threads, by thread id, that agents read and append to.

    ``ConversationMemory`` keeps them in this process; a run with a store hands agents
    (through ``RunContext.memory``) one that keeps them in the store, shared by every run
    that names the thread. ``node`` is the node's path: a store keys the turn by run and
    node, so a retried or resumed node sees the history it saw the first time and never
    appends its turn twice.
    """

    async def read(self, thread: str, node: str) -> tuple[Message, ...]:
        """Thread ``thread``'s messages before ``node``'s turn, oldest first."""
        ...

    async def append(self, thread: str, node: str, after: int, messages: Sequence[Message]) -> None:
        """Add ``node``'s turn: ``messages``, which followed the first ``after`` messages
        of the thread (what ``read`` returned). Called when the node has finished."""
        ...
