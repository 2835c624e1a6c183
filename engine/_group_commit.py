"""Group commit: outputs committed at the same moment share one store transaction.

The items of a map finish together; committing each in its own transaction (one fsync each
on SQLite) would serialise them behind the disk. Here the first commit writes at once; the
commits that arrive while it is in flight wait, and the next of them writes all of them in
one batch. Each caller still returns only once its own record is written, so ``sync``
durability holds record by record, and a lone commit costs no more than before.

A batch is gathered by one event loop turn taken after a write, while it is still in
flight. The turn is only worth its cost (about a third of a no-op step's) when something
else in the run can commit meanwhile: ``company`` counts what can (tasks the scheduler
started beside the one that commits, maps in flight). A run with none, a chain, commits
with ``put_now`` when the store can write without waiting (``stores/_writes_now.py``):
no turn, no shield. Other tasks still run between its fsyncs: the scheduler turns the
loop every ``TURN_EVERY`` commits, counting each as ``STEPS_PER_COMMIT`` of its inline
steps (docs/adr-024-record-format.md, docs/adr-028-commits-now.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence

import anyio
import anyio.abc
import anyio.lowlevel

from plait.engine.stores._protocol import OutputRecord

__all__ = [
    "STEPS_PER_COMMIT",
    "TURN_EVERY",
    "YIELD_EVERY",
    "GroupCommit",
    "beside_others",
    "start_beside",
]

WriteBatch = Callable[[Sequence[OutputRecord]], Awaitable[None]]
WriteNow = Callable[[Sequence[OutputRecord]], bool]
YIELD_EVERY = 64
"""Inline continuations between the scheduler's forced loop turns, so a long chain cannot
hog the loop (``engine/_scheduler.py``)."""
TURN_EVERY = 4
"""Commits between two event loop turns when nothing else in the run can commit."""
STEPS_PER_COMMIT = YIELD_EVERY // TURN_EVERY - 1
"""What a commit adds to the scheduler's count of inline steps (a step counts one): a
chain of commits turns the loop every ``TURN_EVERY``."""


class GroupCommit:
    """Coalesces concurrent ``put`` calls into batches written one at a time."""

    __slots__ = (
        "appended",
        "busy",
        "company",
        "flushed",
        "pending",
        "waiter",
        "write_batch",
        "write_now",
    )

    def __init__(self, write_batch: WriteBatch, write_now: WriteNow | None = None) -> None:
        self.write_batch = write_batch
        self.write_now = write_now
        """The store's ``put_outputs_now`` (``stores/_writes_now.py``), when it has one."""
        self.pending: list[OutputRecord] = []
        self.appended = 0
        """Records handed to ``put`` so far; record ``n`` is the ``n``th."""
        self.flushed = 0
        """Every record up to this number is written (batches go out in order)."""
        self.busy = False
        self.waiter: anyio.Event | None = None
        self.company = 0
        """Tasks and maps of the run that can commit beside the caller (0: a chain)."""

    def put_now(self, record: OutputRecord) -> bool:
        """Write ``record`` at once, awaiting nothing, and return True; or return False
        (nothing written) when the caller must ``put`` it: the store cannot write now,
        another commit is in flight or could join a batch.

        Raises:
            Exception: whatever the store raised (nothing was written).
        """
        if (
            self.write_now is None
            or self.busy
            or self.pending
            or self.company
            or not self.write_now((record,))
        ):
            return False
        self.appended += 1
        self.flushed = self.appended
        return True

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
        except BaseException:
            self.pending[:0] = batch  # unwritten (or unknown): the next writer retries them
            raise
        else:
            self.flushed = last
            if self.company:
                await anyio.lowlevel.checkpoint()  # shielded (put): commits gather meanwhile
        finally:
            self.busy = False
            if self.waiter is not None:
                self.waiter.set()
                self.waiter = None


@contextlib.contextmanager
def beside_others(commits: GroupCommit | None) -> Iterator[None]:
    """Count a map's items in ``company`` while it runs (they commit concurrently)."""
    if commits is None:
        yield
        return
    commits.company += 1
    try:
        yield
    finally:
        commits.company -= 1


def start_beside(
    group: anyio.abc.TaskGroup,
    commits: GroupCommit | None,
    run: Callable[[int], Coroutine[object, object, None]],
    index: int,
) -> None:
    """Start ``run(index)`` in ``group``, counted in ``company`` from now until it ends
    (counted at once: its first commit can come before the caller's next one)."""
    if commits is None:
        group.start_soon(run, index)
        return
    commits.company += 1
    group.start_soon(_counted, commits, run, index)


async def _counted(commits: GroupCommit, run: Callable[[int], Awaitable[None]], index: int) -> None:
    try:
        await run(index)
    finally:
        commits.company -= 1
