"""Node attempts on a real Dask cluster: a LocalCluster of 2 worker processes.

Dask runs on asyncio only, so these tests do too (one checks the refusal on trio).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import pytest

from plait import GraphBuilder, RetryPolicy, RunOptions, node
from plait.engine import MemoryStore, NodeStatus, run
from plait.engine.executors import (
    DaskExecutor,
    ExecutorError,
    LocalExecutor,
    RemoteImportError,
    RemoteNodeError,
    SchedulerUnreachableError,
)
from plait.nodes import DefinitionError, NodeFailedError, NodeTimeoutError, RunContext

from . import dask_nodes as nodes

distributed = pytest.importorskip("distributed")

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

NO_WAIT = RetryPolicy(max_attempts=2, initial_delay=0, jitter=0)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def effects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The file the cluster's workers log node runs to (set before they start)."""
    path = tmp_path_factory.mktemp("dask") / "effects.log"
    os.environ["PLAIT_TEST_EFFECTS"] = str(path)
    yield path
    del os.environ["PLAIT_TEST_EFFECTS"]


@pytest.fixture(scope="module")
def address(effects: Path) -> Iterator[str]:
    """A LocalCluster of 2 worker processes (1 thread each) on 127.0.0.1."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # its HTTP server: loopback, any port
        )
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()


@pytest.fixture
def log(effects: Path) -> Path:
    effects.write_text("")
    return effects


def both(a: int, b: int) -> list[int]:
    return [a, b]


def first(a: int, b: int, c: int) -> int:
    return a


def _runs(log: Path, name: str) -> list[int]:
    """The pids of the processes that ran ``name``, in order."""
    return [
        int(pid) for line in log.read_text().splitlines() for n, pid in [line.split()] if n == name
    ]


async def test_nodes_run_on_the_workers_and_their_outputs_come_back(
    address: str, log: Path
) -> None:
    builder = GraphBuilder("remote", inputs={"x": int})
    doubled = builder.add(nodes.double, inputs={"x": "inputs.x"})
    builder.add(nodes.pid_of, inputs={"x": doubled})
    graph = builder.build("pid_of")
    store = MemoryStore()
    async with DaskExecutor(address) as dask:
        result = await run(graph, {"x": 21}, options=RunOptions(executor=dask, store=store))
    assert result.status.value == "succeeded"
    assert result.output != os.getpid()  # the async node ran in a worker process
    assert result.nodes["double"].output == 42  # decoded from the worker's JSON
    assert _runs(log, "double")
    assert os.getpid() not in _runs(log, "double")
    stored = await store.load(result.run_id)
    assert stored is not None
    assert set(stored.outputs) == {"double", "pid_of"}


async def test_a_node_marked_dask_runs_there_and_the_others_stay(address: str, log: Path) -> None:
    builder = GraphBuilder("placed", inputs={"x": int})
    builder.add(nodes.remote_pid, inputs={"x": "inputs.x"})
    builder.add(nodes.local_pid, inputs={"x": "inputs.x"})
    builder.add(both, inputs={"a": "remote_pid", "b": "local_pid"})
    graph = builder.build("both")
    async with DaskExecutor(address) as dask:
        result = await run(graph, {"x": 1}, options=RunOptions(executors={"dask": dask}))
    assert result.output == [result.nodes["remote_pid"].output, os.getpid()]
    remote, local = result.nodes["remote_pid"].output, result.nodes["local_pid"].output
    assert local == os.getpid()
    assert remote != os.getpid()


async def test_a_pool_named_like_an_executor_runs_there(address: str, log: Path) -> None:
    builder = GraphBuilder("pooled", inputs={"x": int}, pools={"cpu": 2})
    builder.add(nodes.local_pid, inputs={"x": "inputs.x"}, pool="cpu")
    graph = builder.build("local_pid")
    async with DaskExecutor(address) as dask:
        result = await run(graph, {"x": 1}, options=RunOptions(executors={"cpu": dask}))
    assert result.output != os.getpid()


async def test_closures_lambdas_and_context_nodes_are_refused_before_the_run(
    address: str,
) -> None:
    def closure(x: int) -> int:
        return x

    @node
    def with_context(x: int, context: RunContext) -> int:
        return x

    builder = GraphBuilder("refused", inputs={"x": int})
    builder.add(closure, inputs={"x": "inputs.x"})
    anonymous = lambda x: x  # noqa: E731 - the point of the test
    anonymous.__annotations__ = {"x": int, "return": int}
    builder.add(anonymous, id="anonymous", inputs={"x": "inputs.x"})
    builder.add(with_context, inputs={"x": "inputs.x"})
    builder.add(first, inputs={"a": "closure", "b": "anonymous", "c": "with_context"})
    graph = builder.build("first")
    store = MemoryStore()
    async with DaskExecutor(address) as dask:
        with pytest.raises(DefinitionError) as raised:
            await run(graph, {"x": 1}, options=RunOptions(executor=dask, store=store))
    message = str(raised.value)
    assert "node `closure`" in message
    assert "move it to module level" in message
    assert "node `anonymous`" in message
    assert "lambda" in message
    assert "node `with_context`" in message
    assert "run context" in message
    assert "node `first`" in message
    assert "decorate it with @node" in message
    assert list(await store.list_runs()) == []  # nothing was recorded


async def test_a_node_placed_on_an_executor_the_run_lacks_is_refused() -> None:
    builder = GraphBuilder("unplaced", inputs={"x": int})
    builder.add(nodes.remote_pid, inputs={"x": "inputs.x"})
    graph = builder.build("remote_pid")
    with pytest.raises(DefinitionError, match="executor `dask`, which this run was not given"):
        await run(graph, {"x": 1}, options=RunOptions(executors={"gpu": LocalExecutor()}))


async def test_a_node_error_comes_back_by_name_and_each_retry_is_a_new_task(
    address: str, log: Path
) -> None:
    builder = GraphBuilder("failing", inputs={"x": int})
    builder.add(nodes.boom, inputs={"x": "inputs.x"}, retry=NO_WAIT)
    graph = builder.build("boom")
    async with DaskExecutor(address) as dask:
        result = await run(graph, {"x": 7}, options=RunOptions(executor=dask))
    error = result.error
    assert isinstance(error, NodeFailedError)
    cause = error.__cause__
    assert isinstance(cause, RemoteNodeError)
    assert cause.type_name == "ValueError"
    assert "ValueError: boom 7" in str(cause)
    assert "tcp://127.0.0.1:" in str(cause)
    assert len(_runs(log, "boom")) == 2  # attempt 2 was not attempt 1's cached result


async def test_a_module_the_worker_cannot_import_is_named_with_the_worker(
    address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plait_driver_only.py").write_text(
        "from plait import node\n\n@node\ndef here(x: int) -> int:\n    return x\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))  # the driver's path only: workers started
    import plait_driver_only  # type: ignore[import-not-found]

    builder = GraphBuilder("unimportable", inputs={"x": int})
    builder.add(plait_driver_only.here, inputs={"x": "inputs.x"}, retry=NO_WAIT)
    graph = builder.build("here")
    try:
        async with DaskExecutor(address) as dask:
            result = await run(graph, {"x": 1}, options=RunOptions(executor=dask))
    finally:
        sys.modules.pop("plait_driver_only", None)
    cause = result.error.__cause__ if result.error else None
    assert isinstance(cause, RemoteImportError)
    assert cause.module == "plait_driver_only"
    assert cause.worker.startswith("tcp://127.0.0.1:")
    assert "cannot import module `plait_driver_only`" in str(cause)
    assert result.nodes["here"].attempts == 1  # final at once: a retry would miss it again


async def test_a_timed_out_attempt_fails_the_node_and_its_task_is_cancelled(
    address: str, log: Path
) -> None:
    builder = GraphBuilder("timing_out", inputs={"x": int})
    builder.add(
        nodes.slow, inputs={"x": "inputs.x"}, timeout=0.5, retry=RetryPolicy(max_attempts=1)
    )
    graph = builder.build("slow")
    async with DaskExecutor(address) as dask:
        result = await run(graph, {"x": 1}, options=RunOptions(executor=dask))
        assert isinstance(result.error.__cause__ if result.error else None, NodeTimeoutError)
        await _until(lambda: _idle(dask), 10)


async def test_a_worker_killed_mid_node_reruns_it_once_and_the_run_completes(
    address: str, log: Path
) -> None:
    builder = GraphBuilder("killed", inputs={"x": int})
    builder.add(nodes.once_slow, inputs={"x": "inputs.x"}, retry=RetryPolicy(max_attempts=1))
    graph = builder.build("once_slow")

    async def kill_the_worker() -> None:
        await _until(lambda: _started(log), 20)
        os.kill(_runs(log, "once_slow")[0], signal.SIGKILL)

    async with DaskExecutor(address) as dask, anyio.create_task_group() as group:
        group.start_soon(kill_the_worker)
        result = await run(graph, {"x": 1}, options=RunOptions(executor=dask))
    assert result.output == 101
    first, second = _runs(log, "once_slow")  # ran exactly twice: once more after the kill
    assert first != second
    assert result.nodes["once_slow"].status is NodeStatus.SUCCEEDED


async def test_an_unreachable_scheduler_is_an_error_before_anything_runs() -> None:
    started = time.monotonic()
    with pytest.raises(
        SchedulerUnreachableError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"
    ):
        async with DaskExecutor("tcp://127.0.0.1:9", connect_timeout=1):
            pass
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_dask_on_trio_is_refused_in_one_clear_error() -> None:
    with pytest.raises(ExecutorError, match="runs on asyncio only"):
        async with DaskExecutor("tcp://127.0.0.1:9"):
            pass


async def test_dask_local_starts_a_cluster_for_the_block_and_stops_it(log: Path) -> None:
    builder = GraphBuilder("own_cluster", inputs={"x": int})
    builder.add(nodes.pid_of, inputs={"x": "inputs.x"})
    graph = builder.build("pid_of")
    async with DaskExecutor("local", workers=1) as dask:
        result = await run(graph, {"x": 1}, options=RunOptions(executor=dask))
        worker = result.output
    assert worker != os.getpid()
    await _until(lambda: _gone(worker), 10)


async def _started(log: Path) -> bool:
    return bool(_runs(log, "once_slow"))


async def _idle(dask: DaskExecutor) -> bool:
    processing = await dask._client.processing()
    return not any(processing.values())


async def _gone(pid: object) -> bool:
    return not _alive(pid)


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float) -> None:
    """Poll ``condition`` until it holds (a process or a cluster: nothing to wait on)."""
    with anyio.fail_after(seconds):
        while not await condition():  # noqa: ASYNC110 - polling another process
            await anyio.sleep(0.05)


def _alive(pid: object) -> bool:
    assert isinstance(pid, int)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0
