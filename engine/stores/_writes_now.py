"""An optional store capability: committing outputs at once, without awaiting anything.

A ``sync`` durable chain commits once per node, and on SQLite most of that commit's own
cost is the fsync. What plait adds around it (a coroutine per layer, a shielded cancel
scope) is paid on every node, and after each fsync on a cold CPU cache, so it counts
several times over. A store that can tell, before writing, that a commit would not wait
(SQLite: the connection is free, no WAL checkpoint is due) offers ``put_outputs_now``; the
engine calls it first and falls back to the awaited ``put_outputs`` when it says no. A
write that never awaits cannot be cancelled half-way, so it needs no shield
(docs/adr-028-commits-now.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from plait.engine.stores._protocol import Lease, OutputRecord

__all__ = ["WritesNow"]


@runtime_checkable
class WritesNow(Protocol):
    """A store that can commit small batches of outputs on the caller's thread."""

    def put_outputs_now(
        self, records: Sequence[OutputRecord], *, lease: Lease | None = None
    ) -> bool:
        """Commit ``records`` (fenced by ``lease``) in one transaction, now, and return
        True; or write nothing and return False when that would have to wait (for a lock,
        a thread, a checkpoint); the caller then uses ``put_outputs``.

        Raises:
            CorruptRecordError: when a record's checksum does not match its bytes.
            StoreError: when the write fails (as ``put_outputs`` would).
            LeaseLostError: when ``lease`` is no longer the run's.
        """
        ...
