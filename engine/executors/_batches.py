"""Calls made by many attempts at once, sent as one: what keeps an attempt's cost low.

A map of 200 nodes starts 200 attempts in one burst of the event loop. Sent one by one,
each would cost the cluster a graph update and a gather round trip; a ``Batch`` collects
what is asked during one turn of the loop and hands it to one call, then gives each
caller its own answer. asyncio only, like the Dask client it serves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Batch"]

T = TypeVar("T")
R = TypeVar("R")


class Batch(Generic[T, R]):
    """Coalesces ``await batch(item)`` calls made in one loop turn into one ``send(items)``.

    ``send`` returns one answer per item, in order; if it raises, every caller of that
    batch gets the error. A caller cancelled while waiting just stops waiting.
    """

    def __init__(self, send: Callable[[list[T]], Awaitable[Sequence[R]]]) -> None:
        self._send = send
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._running: set[asyncio.Task[None]] = set()

    async def __call__(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, answer))
        if len(self._pending) == 1:
            loop.call_soon(self._flush, loop)
        return await answer

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._pending = self._pending, []
        live = [(item, answer) for item, answer in batch if not answer.done()]
        if live:
            task = loop.create_task(self._deliver(live))
            self._running.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._running.discard)

    async def _deliver(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            answers = await self._send([item for item, _ in batch])
        except Exception as error:  # each caller sees its batch's failure
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(error)
            return
        except BaseException:  # the loop is closing: nobody gets an answer
            for _, answer in batch:
                answer.cancel()
            raise
        for (_, answer), value in zip(batch, answers, strict=True):
            if not answer.done():
                answer.set_result(value)

    async def aclose(self) -> None:
        """Wait for batches already sent (an executor closing lets them finish)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
