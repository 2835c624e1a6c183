"""What the viewer's buttons do: answer, resume, fork and cancel runs.

Resumes and forks run in the server's event loop, as tasks of the task group the app
holds for its lifetime (structured: stopping the server cancels them, and a cancelled
run is recorded ``cancelled``). Each action waits briefly for its run to start, so an
error found before anything runs (a changed graph, an answer of the wrong type) is on
the page the browser is sent to. A run another process is running is not cancelled from
here: its lease says who runs it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import anyio
import anyio.abc

if TYPE_CHECKING:
    from plait.engine import Event, EventListener, RunRecord, RunResult, Store
    from plait.graphs import Graph

__all__ = ["ActionError", "Actions"]

OWNER = "plait-ui"
START_WAIT = 2.0
"""Seconds an action waits for its run to start before the browser is sent on."""

GraphFor = Callable[["RunRecord"], "Graph[object]"]
"""The graph to resume or fork a stored run with; raises ``ActionError`` naming the fix."""
Work = Callable[["tuple[EventListener, ...]"], Awaitable["RunResult[object]"]]


class ActionError(Exception):
    """An action cannot be done; the message says why and what to do."""


class Actions:
    """The runs this server started, and the last word on each run it touched."""

    def __init__(self, store: Store, graph_for: GraphFor) -> None:
        self.store = store
        self.graph_for = graph_for
        self.task_group: anyio.abc.TaskGroup | None = None
        self.running: dict[str, anyio.CancelScope] = {}
        self.notes: dict[str, str] = {}

    async def _record(self, run_id: str) -> RunRecord:
        stored = await self.store.load(run_id)
        if stored is None:
            raise ActionError(f"run {run_id} is not in the store")
        return stored.run

    async def resume(self, run_id: str, answers: Mapping[str, object] | None) -> str:
        """Resume ``run_id`` (with ``answers`` for its questions); the run id to show.

        Raises:
            ActionError: when the run is unknown, already running, or has no graph.
        """
        from plait.engine import resume

        if run_id in self.running:
            raise ActionError(f"run {run_id} is running already")
        graph = self.graph_for(await self._record(run_id))

        async def work(listeners: tuple[EventListener, ...]) -> RunResult[object]:
            return await resume(
                graph, run_id, store=self.store, answers=answers, listeners=listeners
            )

        return await self._start(run_id, work)

    async def fork(self, run_id: str, at: str | None, outputs: Mapping[str, object]) -> str:
        """Fork ``run_id`` from ``at`` (and with ``outputs`` replaced); the new run's id.

        Raises:
            ActionError: when the run is unknown or has no graph.
        """
        from plait.engine import fork

        graph = self.graph_for(await self._record(run_id))

        async def work(listeners: tuple[EventListener, ...]) -> RunResult[object]:
            return await fork(
                graph, run_id, store=self.store, at=at, outputs=outputs, listeners=listeners
            )

        return await self._start(run_id, work)

    async def _start(self, run_id: str, work: Work) -> str:
        from plait.engine import RunStarted

        if self.task_group is None:
            raise ActionError("the server is not running")
        started = anyio.Event()
        shown: list[str] = []
        scope = anyio.CancelScope()

        def listener(event: Event) -> None:
            if isinstance(event, RunStarted) and not shown:
                shown.append(event.run_id)
                self.running[event.run_id] = scope
                self.notes.pop(event.run_id, None)
                started.set()

        async def task() -> None:
            try:
                with scope:
                    result = await work((listener,))
                    self._note(result)
            except Exception as error:  # shown on the run's page, not raised in the server
                self.notes[shown[0] if shown else run_id] = str(error) or type(error).__name__
            finally:
                if shown:
                    self.running.pop(shown[0], None)
                    with anyio.CancelScope(shield=True):
                        await self._cancelled_if_running(shown[0], scope)
                started.set()

        self.task_group.start_soon(task)
        with anyio.move_on_after(START_WAIT):
            await started.wait()
        return shown[0] if shown else run_id

    def _note(self, result: RunResult[object]) -> None:
        from plait.engine import RunWaitingError

        if isinstance(result.error, RunWaitingError):
            self.notes[result.run_id] = "the run waits for an answer again"
        elif result.error is not None:
            self.notes[result.run_id] = f"the run {result.status.value}: {result.error}"

    async def _cancelled_if_running(self, run_id: str, scope: anyio.CancelScope) -> None:
        """A run cancelled here is recorded ``cancelled`` (unless it recorded its end)."""
        if not scope.cancel_called:
            return
        record = await self._record(run_id)
        if record.status.value == "running":
            await self._mark_cancelled(record)
        self.notes[run_id] = "cancelled from the viewer"

    async def _mark_cancelled(self, record: RunRecord) -> None:
        from plait.engine import StoredStatus

        ended = dataclasses.replace(
            record, status=StoredStatus.CANCELLED, updated_at=time.time(), error="cancelled"
        )
        await self.store.put_run(ended)

    async def cancel(self, run_id: str) -> None:
        """Cancel a run this server runs, or mark a waiting (or crashed) run cancelled.

        Raises:
            ActionError: when the run has ended, or another process runs it.
        """
        from plait.engine import RunLockedError

        scope = self.running.get(run_id)
        if scope is not None:
            scope.cancel()
            return
        record = await self._record(run_id)
        if record.status.value not in ("running", "waiting"):
            raise ActionError(f"run {run_id} has ended ({record.status.value}): nothing to cancel")
        try:
            await self.store.acquire(run_id, OWNER, 30.0, time.time())
        except RunLockedError as error:
            raise ActionError(f"{error}; stop it there (Ctrl-C) to cancel it") from None
        try:
            await self._mark_cancelled(record)
        finally:
            await self.store.release(run_id, OWNER)
        self.notes[run_id] = "cancelled from the viewer"
