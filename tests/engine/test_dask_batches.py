"""What keeps an attempt on Dask cheap: batched calls, and async nodes off the threads.

``Batch`` runs on asyncio only (so does the Dask client it serves); the cluster tests use
a LocalCluster of 2 worker processes of 1 thread each, on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from plait import GraphBuilder, RunOptions, node
from plait.engine import run
from plait.engine.executors import Attempt, DaskExecutor
from plait.engine.executors._batches import Batch

from . import dask_nodes as nodes

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """A ``send`` that records each batch it is given and answers with each item doubled."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail

    async def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        await asyncio.sleep(0)
        if self.fail:
            raise ValueError(f"batch of {len(items)} refused")
        return [item * 2 for item in items]


async def test_calls_made_in_one_turn_go_out_as_one_and_each_gets_its_answer() -> None:
    send = Recorder()
    batch: Batch[int, int] = Batch(send)
    answers = await asyncio.gather(*(batch(item) for item in range(50)))
    assert answers == [item * 2 for item in range(50)]
    assert send.batches == [list(range(50))]
    assert await batch(7) == 14  # a later call is a batch of its own
    assert send.batches[1:] == [[7]]


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_works() -> None:
    send = Recorder(fail=True)
    batch: Batch[int, int] = Batch(send)
    results = await asyncio.gather(batch(1), batch(2), return_exceptions=True)
    assert [str(error) for error in results] == ["batch of 2 refused"] * 2
    send.fail = False
    assert await batch(3) == 6


async def test_a_caller_cancelled_before_the_batch_goes_out_is_left_out_of_it() -> None:
    send = Recorder()
    batch: Batch[int, int] = Batch(send)
    gone = asyncio.ensure_future(batch(1))
    kept = asyncio.ensure_future(batch(2))
    await asyncio.sleep(0)  # both are waiting; the batch goes out on the next turn
    gone.cancel()
    assert await kept == 4
    assert send.batches == [[2]]
    await batch.aclose()


@node
def tally(x: int) -> int:
    return x


def test_an_attempt_key_names_the_function_so_dask_groups_its_tasks_by_it() -> None:
    from dask.utils import key_split

    attempt = Attempt("01jrun", "each[3]/tally", 2, tally, {"x": 1})
    assert attempt.key == "plait.tally-01jrun-each[3]/tally-2"
    assert key_split(attempt.key) == "plait.tally"  # Dask's task group: its durations


@pytest.fixture
def effects(tmp_path: Path) -> Iterator[Path]:
    """The file the workers log node runs to (set before ``dask://local`` starts them)."""
    path = tmp_path / "effects.log"
    path.write_text("")
    os.environ["PLAIT_TEST_EFFECTS"] = str(path)
    yield path
    del os.environ["PLAIT_TEST_EFFECTS"]


def _pids(log: Path) -> set[int]:
    return {int(line.split()[1]) for line in log.read_text().splitlines()}


@pytest.mark.slow
async def test_async_nodes_wait_together_on_workers_of_one_thread(effects: Path) -> None:
    """Six async nodes each wait until all six have started: on 2 workers of 1 thread each
    that holds only if an async node leaves its thread while it waits."""
    builder = GraphBuilder("meeting", inputs={"count": int, "xs": list[int]})
    builder.map(nodes.meet, over="x", id="each", inputs={"x": "inputs.xs", "count": "inputs.count"})
    graph = builder.build("each")
    async with DaskExecutor("local", workers=2, threads=1) as dask:
        result = await run(
            graph, {"count": 6, "xs": list(range(6))}, options=RunOptions(executor=dask)
        )
    assert result.status.value == "succeeded", result.error
    assert result.output == [6] * 6
    assert os.getpid() not in _pids(effects)  # they ran on the workers
