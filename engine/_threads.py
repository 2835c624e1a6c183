"""Conversation threads kept in a run's store: the engine's ``Memory`` for its agents."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from plait.engine.stores._protocol import CorruptRecordError, ThreadRecord
from plait.nodes import Message, canonical_json, messages_data, messages_from_data

if TYPE_CHECKING:
    from plait.engine._durable import Checkpointer

__all__ = ["StoreMemory"]


class StoreMemory:
    """A run's ``Memory``: threads in its store, shared with every run naming them.

    A node's turn is keyed by thread, run and node path. ``read`` for a node that has a
    turn already (it is being retried or resumed after appending) gives the messages it
    saw the first time, the first ``messages_after`` of the thread; ``append`` again
    replaces that turn in place, so it is never there twice. Messages are stored as the
    LLM codec's JSON with the run's secrets masked; a failed write stops the run, as a
    failed commit does.
    """

    def __init__(self, checkpoint: Checkpointer) -> None:
        self._checkpoint = checkpoint

    async def read(self, thread: str, node: str) -> tuple[Message, ...]:
        """Thread ``thread``'s messages before ``node``'s turn in this run, oldest first.

        Raises:
            CorruptRecordError: when a stored turn fails its checksum or is not messages.
        """
        checkpoint = self._checkpoint
        turns = await checkpoint.store.load_thread(thread)
        messages: list[Message] = []
        for turn in turns:
            if turn.run_id == checkpoint.run_id and turn.node == node:
                return tuple(messages[: turn.messages_after])
            messages.extend(_decoded(turn))
        return tuple(messages)

    async def append(self, thread: str, node: str, after: int, messages: Sequence[Message]) -> None:
        """Store ``node``'s turn in thread ``thread`` before returning."""
        checkpoint = self._checkpoint
        data = checkpoint.secrets.mask_json(canonical_json(messages_data(messages)))
        record = ThreadRecord.of(thread, checkpoint.run_id, node, after, data, checkpoint.wall())
        put = checkpoint.store.put_thread(record, lease=checkpoint.held)
        await checkpoint.write(f"append the turn of node `{node}` to thread `{thread}`", put)


def _decoded(turn: ThreadRecord) -> tuple[Message, ...]:
    try:
        return messages_from_data(json.loads(turn.messages))
    except ValueError as error:
        where = f"{turn.node}` turn in thread `{turn.thread_id}"
        raise CorruptRecordError(turn.run_id, where, str(error)) from None
