"""Entry points: run a graph, run it from sync code, or stream its events as it goes."""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Generic, TypeVar, cast

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from plait.engine._events import Event, EventListener
from plait.engine._inputs import check_inputs
from plait.engine._options import RunOptions
from plait.engine._result import RunResult
from plait.engine._scheduler import Scheduler
from plait.graphs import Graph

__all__ = ["RunHandle", "run", "run_sync", "stream"]

OutputT = TypeVar("OutputT")

_DEFAULT_OPTIONS = RunOptions()


async def run(
    graph: Graph[OutputT],
    inputs: Mapping[str, object] | None = None,
    /,
    *,
    options: RunOptions | None = None,
    listeners: tuple[EventListener, ...] = (),
) -> RunResult[OutputT]:
    """Run ``graph`` on ``inputs`` and return its result; a failed run does not raise.

    Check ``result.status`` (or read ``result.output``, which raises the run's error).
    ``listeners`` receive every event, in order, while the run goes.

    Raises:
        InputError: when ``inputs`` do not fit the graph; nothing has run.
        StoreError: when ``options.store`` fails to record the run or, mid-run, a commit
            (the run stops, is recorded ``failed`` and can be resumed once the store works).
    """
    settings = options or _DEFAULT_OPTIONS
    check_inputs(cast(Graph[object], graph), inputs or {})  # before the run is recorded
    if settings.store is not None:
        from plait.engine._resume import run_durably

        return await run_durably(graph, inputs or {}, settings, listeners)
    scheduler = Scheduler(cast(Graph[object], graph), settings, listeners)
    result = await scheduler.execute(inputs or {})
    return cast(RunResult[OutputT], result)


def run_sync(
    graph: Graph[OutputT],
    inputs: Mapping[str, object] | None = None,
    /,
    *,
    options: RunOptions | None = None,
    listeners: tuple[EventListener, ...] = (),
    backend: str = "asyncio",
) -> RunResult[OutputT]:
    """``run`` for synchronous code: starts an event loop (``asyncio`` or ``trio``)."""
    call = functools.partial(run, graph, inputs, options=options, listeners=listeners)
    return anyio.run(call, backend=backend)


class RunHandle(Generic[OutputT]):
    """A run in progress: iterate its events with ``async for``; ``result`` when done.

    Use it as an async context manager; leaving the block waits for the run to end. An
    error the run raises (``InputError``, a listener's) leaves the block as itself, and
    an error raised in the block cancels the run and leaves as itself: never grouped.
    """

    def __init__(
        self, graph: Graph[OutputT], inputs: Mapping[str, object], options: RunOptions
    ) -> None:
        send, receive = anyio.create_memory_object_stream[Event](math.inf)
        self._send: MemoryObjectSendStream[Event] = send
        self._receive: MemoryObjectReceiveStream[Event] = receive
        self._scheduler = Scheduler(cast(Graph[object], graph), options, (send.send_nowait,))
        self._inputs = inputs
        self._options = options
        self._result: RunResult[OutputT] | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._error: Exception | None = None

    @property
    def run_id(self) -> str:
        """The run's id, known before it starts."""
        return self._scheduler.run_id

    @property
    def result(self) -> RunResult[OutputT]:
        """The run's result.

        Raises:
            RuntimeError: when the run has not finished yet.
        """
        if self._result is None:
            raise RuntimeError(f"run {self.run_id} has not finished; wait for the stream to end")
        return self._result

    def cancel(self) -> None:
        """Cancel the run; its result will have status ``cancelled``."""
        self._scheduler.cancel()

    async def _drive(self) -> None:
        with self._send:
            try:
                check_inputs(self._scheduler.graph, self._inputs)
                if self._options.store is not None:  # durable, like run(): same scheduler
                    from plait.engine._resume import run_durably

                    graph, options = self._scheduler.graph, self._options
                    result = await run_durably(graph, self._inputs, options, (), self._scheduler)
                else:
                    result = await self._scheduler.execute(self._inputs)
            except Exception as error:  # raised by __aexit__, outside the task group
                self._error = error
                return
            self._result = cast(RunResult[OutputT], result)

    async def __aenter__(self) -> RunHandle[OutputT]:
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        self._task_group.start_soon(self._drive)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        assert self._task_group is not None
        block_failed = isinstance(exc, Exception)
        if block_failed:  # stop the run; the block's error then leaves as it is
            self._scheduler.cancel()
            exc_type, exc, traceback = None, None, None
        try:
            await self._task_group.__aexit__(exc_type, exc, traceback)
        finally:
            self._receive.close()
        if self._error is not None and not block_failed:
            raise self._error
        return None

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._receive.__aiter__()


def stream(
    graph: Graph[OutputT],
    inputs: Mapping[str, object] | None = None,
    /,
    *,
    options: RunOptions | None = None,
) -> RunHandle[OutputT]:
    """Start ``graph`` so its events can be read while it runs.

    ``async with stream(graph, inputs) as handle: async for event in handle: ...``, then
    ``handle.result``. Events are buffered, so a slow reader never slows the run.
    """
    return RunHandle(graph, inputs or {}, options or _DEFAULT_OPTIONS)
