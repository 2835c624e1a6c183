"""The Dask distributed executor: node attempts on a cluster (the only module importing Dask).

The driver keeps the run; the cluster runs attempts. Each attempt is one task with an
explicit key (run, node, attempt) whose arguments are the node's reference and its
inputs as codec JSON: a worker imports the same installed code and never receives a
pickled closure. Async node functions run on the worker's event loop, sync ones in its
thread pool. A worker that dies mid-attempt makes the scheduler run the task elsewhere;
past the scheduler's ``allowed-failures`` the attempt fails with ``WorkerLostError``, and
the node's retry policy decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from plait.engine.executors._batches import Batch
from plait.engine.executors._protocol import (
    Attempt,
    ExecutorError,
    SchedulerUnreachableError,
    WorkerLostError,
)
from plait.engine.executors._remote import (
    Reply,
    encoded_inputs,
    outcome,
    run_remote,
    run_remote_async,
)
from plait.nodes import (
    FunctionNode,
    NotImportableError,
    Problem,
    reference_of,
    resolve_reference,
)

if TYPE_CHECKING:
    from typing import Self

__all__ = ["DaskExecutor"]

_LOCAL = "local"
_ALLOWED_FAILURES = 1
"""A worker lost mid-attempt: run it once more elsewhere, then give up (our own cluster)."""
_SEND_INTERVAL = 0.002
"""Seconds the client batches messages to the scheduler for (Dask's client: 10 ms, its
workers: 2 ms). A chain of nodes submits one attempt at a time, each waiting out the
interval, so the client sends as often as Dask's own workers do."""
_OWN_CLUSTER = {
    "distributed.scheduler.allowed-failures": _ALLOWED_FAILURES,
    # Attempts are independent tasks of one group, which Dask would queue on the scheduler
    # until a thread frees; async ones leave their thread at once (see `_task_async`), so
    # send every attempt to a worker straight away and let the workers' threads pace it.
    "distributed.scheduler.worker-saturation": float("inf"),
}


@dataclass(frozen=True, slots=True)
class _Job:
    """One attempt as it travels: its task key, how it runs and its data."""

    key: str
    is_async: bool
    ref: str
    inputs: dict[str, bytes]


def _imported() -> Any:
    try:
        import distributed
    except ImportError:
        raise ExecutorError(
            "the Dask executor needs the `dask` extra: pip install 'plait[dask]'"
        ) from None
    return distributed


def _worker_address() -> str:
    import distributed

    try:
        return str(distributed.get_worker().address)
    except ValueError:  # not on a worker (a test calling the task directly)
        return "(no worker)"


def _task(ref: str, inputs: Mapping[str, bytes]) -> tuple[str, Reply]:
    """A sync node's attempt, on a worker thread."""
    return _worker_address(), run_remote(ref, inputs)


async def _task_async(ref: str, inputs: Mapping[str, bytes], key: bytes) -> tuple[str, Reply]:
    """An async node's attempt, on the worker's event loop, holding none of its threads.

    Dask counts a running async task against the worker's threads although it runs on the
    worker's loop; like Dask's own ``secede()`` for a thread, the task tells the worker it
    is long-running, so a worker of one thread waits on any number of async nodes at once
    while its thread stays free for sync ones. (``key`` travels as bytes: a string equal
    to a task key would be read as a dependency on that task.)
    """
    _leave_thread_slot(key.decode())
    return _worker_address(), await run_remote_async(ref, inputs)


def _leave_thread_slot(key: str) -> None:
    import time

    import distributed

    try:
        from distributed.worker_state_machine import SecedeEvent

        worker = distributed.get_worker()
    except (ImportError, ValueError):  # another Dask, or not on a worker: hold the slot
        return
    # on the worker's loop already: tell it now, so its thread takes the next task at once
    worker.handle_stimulus(
        SecedeEvent(key=key, compute_duration=0.0, stimulus_id=f"plait-secede-{time.time()}")
    )


class DaskExecutor:
    """Runs node attempts on a Dask cluster; use it as an async context manager.

    ``DaskExecutor("tcp://127.0.0.1:8786")`` connects to a running scheduler;
    ``DaskExecutor("local")`` starts a ``LocalCluster`` of ``workers`` processes of
    ``threads`` task slots each (async nodes hold a slot while they wait: give I/O-shaped
    graphs many) on 127.0.0.1 for as long as the block lasts. Runs on asyncio only.
    """

    def __init__(
        self,
        address: str = _LOCAL,
        *,
        workers: int = 2,
        threads: int = 1,
        connect_timeout: float = 5.0,
    ) -> None:
        self.address = address
        self.workers = workers
        self.threads = threads
        self.connect_timeout = connect_timeout
        self._client: Any = None
        self._cluster: Any = None
        self._submits: Batch[_Job, Any] = Batch(self._submit)
        self._gathers: Batch[Any, tuple[str, Reply]] = Batch(self._gather)

    @property
    def name(self) -> str:
        """``dask://`` and the scheduler's address (or ``local``)."""
        return f"dask://{self.address.removeprefix('tcp://')}"

    def check(self, node: FunctionNode[object], path: str) -> list[Problem]:
        """A node runs here only by reference, without a run context."""
        where = f"node `{path}`"
        problems: list[Problem] = []
        try:
            resolve_reference(reference_of(node.fn, node=path))
        except NotImportableError as error:
            problems.extend(error.problems)
        except (ImportError, LookupError) as error:
            problems.append(
                Problem(
                    "not-a-node-function",
                    where,
                    f"workers find a node by name, and {error}",
                    "decorate it with @node at module level and add that node",
                )
            )
        if node.context_parameter is not None:
            problems.append(
                Problem(
                    "context-on-cluster",
                    where,
                    f"it takes the run context (`{node.context_parameter}`), which stays in"
                    f" the driver, so it cannot run on {self.name}",
                    "run it locally (executor='local') or drop the RunContext parameter",
                )
            )
        return problems

    async def __aenter__(self) -> Self:
        distributed = _imported()
        import sniffio

        if sniffio.current_async_library() != "asyncio":
            raise ExecutorError(
                f"{self.name}: the Dask executor runs on asyncio only; run the graph with "
                "backend='asyncio'"
            )
        if self.address == _LOCAL:
            await self._start_cluster(distributed)
            target: Any = self._cluster
        else:
            target = self.address if "://" in self.address else f"tcp://{self.address}"
        try:
            self._client = await distributed.Client(
                target, asynchronous=True, timeout=self.connect_timeout
            )
        except (OSError, TimeoutError) as error:
            await self._close_cluster()
            raise SchedulerUnreachableError(
                f"cannot reach the Dask scheduler at {target} within {self.connect_timeout:g}"
                f" s ({error}); start one (`dask scheduler --host 127.0.0.1`) or fix the"
                " address in --executor dask://HOST:PORT"
            ) from None
        comm: Any = getattr(self._client, "scheduler_comm", None)
        interval = getattr(comm, "interval", None)
        if isinstance(interval, float):  # Dask's batched stream to the scheduler
            comm.interval = min(interval, _SEND_INTERVAL)
        return self

    async def _start_cluster(self, distributed: Any) -> None:
        import dask

        with dask.config.set(_OWN_CLUSTER):
            self._cluster = await distributed.LocalCluster(
                n_workers=self.workers,
                threads_per_worker=self.threads,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",  # its HTTP server: loopback, any port
                asynchronous=True,
            )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with anyio.CancelScope(shield=True):
            await self._submits.aclose()
            await self._gathers.aclose()
            if self._client is not None:
                await self._client.close()
                self._client = None
            await self._close_cluster()

    async def _close_cluster(self) -> None:
        if self._cluster is not None:
            await self._cluster.close()
            self._cluster = None

    async def execute(self, attempt: Attempt) -> object:
        """Submit the attempt as one task and wait for its reply.

        Attempts started in the same turn of the event loop are submitted in one graph
        update, and replies that arrive together are gathered in one round trip.

        Raises:
            ExecutorError: when the executor is not open.
            WorkerLostError: when workers died running it past the scheduler's limit.
            RemoteImportError: when the worker could not import the node's module.
            RemoteNodeError: when the node raised there.
        """
        client = self._client
        if client is None:
            raise ExecutorError(f"{self.name} is not open: use `async with` around the run")
        node = attempt.function
        ref = reference_of(node.fn, node=attempt.node)
        job = _Job(attempt.key, node.is_async, ref, encoded_inputs(attempt.inputs))
        future = await self._submits(job)
        try:
            worker, reply = await self._reply(future)
        except BaseException as error:
            with anyio.CancelScope(shield=True):
                with anyio.move_on_after(5):
                    await client.cancel([future], force=True)
            killed = _imported().KilledWorker
            if isinstance(error, killed):
                raise WorkerLostError(
                    f"node `{attempt.node}` attempt {attempt.number}: the workers running it"
                    f" died ({error}); the cluster gave up on it"
                ) from None
            raise
        return outcome(reply, node, attempt.node, worker)

    async def _reply(self, future: Any) -> tuple[str, Reply]:
        await future.exception()  # the task's end, without fetching its result
        if future.status == "finished":
            try:
                return await self._gathers(future)
            except Exception:  # the batch failed: fetch this one alone
                pass
        result: tuple[str, Reply] = await future  # raises what ended the task
        return result

    async def _submit(self, jobs: list[_Job]) -> list[Any]:
        """One graph update for every attempt of a batch (one per kind of task)."""
        futures: dict[str, Any] = {}
        for is_async in (True, False):
            group = [job for job in jobs if job.is_async is is_async]
            if not group:
                continue
            refs, inputs = [job.ref for job in group], [job.inputs for job in group]
            keys = [job.key for job in group]
            if is_async:
                made = self._client.map(
                    _task_async, refs, inputs, [key.encode() for key in keys], key=keys, pure=False
                )
            else:
                made = self._client.map(_task, refs, inputs, key=keys, pure=False)
            futures.update(zip(keys, made, strict=True))
        return [futures[job.key] for job in jobs]

    async def _gather(self, futures: list[Any]) -> list[tuple[str, Reply]]:
        replies: list[tuple[str, Reply]] = await self._client.gather(futures)
        return replies


def parse_executor(text: str) -> DaskExecutor:
    """The executor a ``--executor`` value names: ``dask://HOST:PORT`` or ``dask://local``.

    Raises:
        ValueError: for anything else, saying what is expected.
    """
    scheme, sep, rest = text.partition("://")
    if scheme != "dask" or not sep or not rest:
        raise ValueError(
            f"--executor {text!r}: expected dask://HOST:PORT or dask://local"
            " (e.g. dask://127.0.0.1:8786)"
        )
    if rest == _LOCAL:
        return DaskExecutor(_LOCAL)
    host, colon, port = rest.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--executor {text!r}: expected dask://HOST:PORT, the port a number")
    return DaskExecutor(f"tcp://{rest}")
