"""A store that fails while a run goes: one ``StoreError``, a run recorded ``failed``.

A failed write (disk full, a lost connection, a lease another process took) stops the
run like any other failure: the run's nodes are cancelled, the run is recorded ``failed``
when the store can still record it, and the caller gets the ``StoreError`` itself, never an
``ExceptionGroup`` from the task groups the run went through. Committed outputs stay
committed, so once the store works again the run resumes where it stopped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

import anyio

from plait.engine._result import RunResult
from plait.engine.stores._protocol import LeaseLostError, StoredStatus, StoreError

if TYPE_CHECKING:
    from plait.engine._durable import Checkpointer

__all__ = ["as_store_error", "guarded", "supervise"]

T = TypeVar("T")


def as_store_error(doing: str, error: Exception) -> StoreError:
    """``error`` as a ``StoreError`` saying what the store failed to do."""
    if isinstance(error, StoreError):
        return error
    detail = str(error) or "(no message)"
    wrapped = StoreError(f"the store could not {doing}: {type(error).__name__}: {detail}")
    wrapped.__cause__ = error
    return wrapped


async def guarded(doing: str, call: Awaitable[T]) -> T:
    """Await a store call made outside a run, with any failure as a ``StoreError``.

    Raises:
        StoreError: when the call fails.
    """
    try:
        return await call
    except Exception as error:
        raise as_store_error(doing, error) from error


async def supervise(
    checkpoint: Checkpointer, execute: Callable[[], Awaitable[RunResult[object]]]
) -> RunResult[object]:
    """Run ``execute`` holding the run's lease, then record how the run ended.

    Raises:
        StoreError: when the store failed during the run or while recording its end (the
            run is recorded ``failed`` if the store still can be written).
        LeaseLostError: when another process took the run over; it is left to that
            process, not recorded ``failed``.
        Exception: whatever else ``execute`` raised (a listener's error); the run is
            recorded ``failed``.
    """
    failure: Exception | None = None
    result: RunResult[object] | None = None
    async with anyio.create_task_group() as lease:
        lease.start_soon(checkpoint.renew)
        try:
            result = await execute()
        except Exception as caught:  # raised after the task group, so never grouped
            failure = caught
        except BaseException:
            with anyio.CancelScope(shield=True):
                await _settle(checkpoint, StoredStatus.CANCELLED, "interrupted")
            raise
        lease.cancel_scope.cancel()
    if isinstance(failure, LeaseLostError):
        raise failure  # the run is its new owner's now: nothing more is written for it
    if failure is not None:
        recorded = await _settle(checkpoint, StoredStatus.FAILED, str(failure))
        if isinstance(failure, StoreError):
            raise _stopped(checkpoint.run_id, failure, recorded) from failure
        raise failure
    assert result is not None
    message = None if result.error is None else str(result.error)
    try:
        with anyio.CancelScope(shield=True):  # the run ended: its end is recorded, and its
            await checkpoint.finish(StoredStatus(result.status.value), message)  # lease freed
    except Exception as broken:
        fault = as_store_error(f"record the end of run {checkpoint.run_id}", broken)
        recorded = await _settle(checkpoint, StoredStatus.FAILED, str(fault))
        raise _stopped(checkpoint.run_id, fault, recorded) from broken
    return result


async def _settle(checkpoint: Checkpointer, status: StoredStatus, error: str) -> bool:
    """Record the run's end as far as the store still allows; whether the status was."""
    try:
        await checkpoint.finish(status, error)
    except Exception:  # the store is still failing: keep what was asked for
        pass
    else:
        return True
    checkpoint.buffer.clear()  # outputs it could not flush are lost, as in a crash
    try:
        if checkpoint.run_record is None:
            return False
        now = checkpoint.wall()
        ended = replace(checkpoint.run_record, status=status, updated_at=now, error=error)
        await checkpoint.store.put_run(ended, lease=checkpoint.held)
    except Exception:
        return False
    with contextlib.suppress(Exception):  # the lease expires on its own
        await checkpoint.store.release(checkpoint.run_id, checkpoint.owner)
    return True


def _stopped(run_id: str, fault: StoreError, recorded: bool) -> StoreError:
    """The error a caller gets: the store's, plus where the run stands and what to do."""
    if recorded:
        state = "it is recorded failed; resume it once the store works again"
    else:
        state = (
            "the store could not record that either; resume the run once the store works "
            "again and its lease has expired"
        )
    return StoreError(f"run {run_id} stopped: {fault}; {state}")
