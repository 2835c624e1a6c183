"""Group commit: outputs committed at the same moment share one store transaction.

The items of a map finish together; committing each in its own transaction (one fsync each
on SQLite) would serialise them behind the disk. Here the first commit writes at once; the
commits that arrive while it is in flight wait, and the next of them writes all of them in
one batch. Each caller still returns only once its own record is written, so ``sync``
durability holds record by record, and a lone commit costs no more than before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import anyio

from plait.engine.stores._protocol import OutputRecord

__all__ = ["GroupCommit"]

WriteBatch = Callable[[Sequence[OutputRecord]], Awaitable[None]]


class GroupCommit:
    """Coalesces concurrent ``put`` calls into batches written one at a time."""

    __slots__ = ("appended", "busy", "flushed", "pending", "waiter", "write_batch")

    def __init__(self, write_batch: WriteBatch) -> None:
        self.write_batch = write_batch
        self.pending: list[OutputRecord] = []
        self.appended = 0
        """Records handed to ``put`` so far; record ``n`` is the ``n``th."""
        self.flushed = 0
        """Every record up to this number is written (batches go out in order)."""
        self.busy = False
        self.waiter: anyio.Event | None = None

    async def put(self, record: OutputRecord) -> None:
        """Return once ``record`` is written (by this call or by a batch that held it).

        Raises:
            Exception: whatever the store raised for the batch this call wrote. A batch
                that failed goes back to the queue, so a caller never returns unwritten.
        """
        self.appended += 1
        number = self.appended
        self.pending.append(record)
        # Shielded: a commit that began completes even if its node is cancelled meanwhile
        # (a failed sibling item cancels the map), as one write in a worker thread would.
        with anyio.CancelScope(shield=True):
            while self.flushed < number:
                if self.busy:
                    if self.waiter is None:
                        self.waiter = anyio.Event()
                    await self.waiter.wait()
                    continue
                await self._write_pending()

    async def _write_pending(self) -> None:
        batch, self.pending = self.pending, []
        last = self.appended
        self.busy = True
        try:
            await self.write_batch(batch)
            self.flushed = last
        except BaseException:
            self.pending[:0] = batch  # unwritten (or unknown): the next writer retries them
            raise
        finally:
            self.busy = False
            if self.waiter is not None:
                self.waiter.set()
                self.waiter = None
