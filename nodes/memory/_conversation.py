"""Conversation memory: each thread's history, kept apart from an agent's prompt messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from plait.nodes.llm._messages import Message

__all__ = ["ConversationMemory"]


class ConversationMemory:
    """Histories by thread id, for agents that remember earlier turns.

    An agent sends its prompt messages (fixed templates, always sent) first, then the
    thread's history, then the new turn; after a successful call it appends the new turn
    and the replies here. A failed attempt appends nothing, so a retry does not repeat it.
    You create the memory and hand it to agents; plait keeps no global one. It is a
    ``Memory`` kept in this process only: for threads that outlive the process, give the
    agent a ``thread_input`` and run it with a store (see ``Memory``).
    """

    def __init__(self) -> None:
        self._threads: dict[str, list[Message]] = {}

    def history(self, thread: str) -> tuple[Message, ...]:
        """Thread ``thread``'s messages, oldest first (empty for a new thread)."""
        return tuple(self._threads.get(thread, ()))

    def extend(self, thread: str, messages: Iterable[Message]) -> None:
        """Append ``messages`` to thread ``thread``."""
        self._threads.setdefault(thread, []).extend(messages)

    async def read(self, thread: str, node: str) -> tuple[Message, ...]:
        """Thread ``thread``'s messages (``Memory``; every node sees the whole thread)."""
        return self.history(thread)

    async def append(self, thread: str, node: str, after: int, messages: Sequence[Message]) -> None:
        """Append ``messages`` to thread ``thread`` (``Memory``)."""
        self.extend(thread, messages)

    def load(self, thread: str, messages: Iterable[Message]) -> None:
        """Replace thread ``thread``'s history (e.g. with ``load_history(path)``)."""
        self._threads[thread] = list(messages)

    def pop(self, thread: str) -> Message | None:
        """Remove and return thread ``thread``'s last message, if any."""
        messages = self._threads.get(thread)
        return messages.pop() if messages else None

    def clear(self, thread: str | None = None) -> None:
        """Forget thread ``thread``, or every thread."""
        if thread is None:
            self._threads.clear()
        else:
            self._threads.pop(thread, None)

    @property
    def threads(self) -> tuple[str, ...]:
        """The thread ids with a history, sorted."""
        return tuple(sorted(self._threads))
