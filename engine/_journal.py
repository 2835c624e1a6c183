"""What a resumed run keeps of its effect journal (``fresh`` nodes start over)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from plait.engine.stores._protocol import StoredRun
from plait.graphs import Graph
from plait.nodes import JournalEntry, RunError

if TYPE_CHECKING:
    from plait.engine._durable import Checkpointer

__all__ = ["kept_journal"]


async def kept_journal(
    checkpoint: Checkpointer, stored: StoredRun, fresh: Sequence[str]
) -> dict[tuple[str, int], JournalEntry]:
    """The journaled calls a resumed run replays: all of them but those of the nodes in
    ``fresh`` (and of the nodes inside them), which are deleted from the store.

    Raises:
        RunError: when a ``fresh`` node is not in the graph.
    """
    graph: Graph[object] = checkpoint.graph
    run_id = checkpoint.run_id
    for name in fresh:
        if name.split("/")[0].split("[")[0] not in graph.nodes:
            known = ", ".join(f"`{node}`" for node in graph.nodes)
            raise RunError(
                f"run {run_id}: cannot start `{name}` fresh: graph `{graph.name}` has no "
                f"such node (its nodes: {known})",
                run_id=run_id,
            )
    dropped = sorted(
        {
            call.node
            for call in stored.journal
            if any(call.node == name or call.node.startswith(f"{name}/") for name in fresh)
        }
    )
    if dropped:
        await checkpoint.store.put_journal(run_id, [], dropped, lease=checkpoint.held)
    return {(c.node, c.index): c.entry for c in stored.journal if c.node not in dropped}
