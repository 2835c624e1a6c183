"""A run cancelled while it is being recorded and leased, or while its end is recorded, is
settled and its lease released: never left ``running`` under a lease nobody gives back
(a resume by the same process refused until it expires)."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from plait import Graph, GraphBuilder, RunOptions, node
from plait.engine import resume
from plait.engine.stores._lease import Lease
from plait.engine.stores._protocol import RunRecord, StoredStatus
from plait.engine.stores._sqlite import SQLiteStore

pytestmark = pytest.mark.anyio


class SlowStore(SQLiteStore):
    """Grants a lease, or records a run's end, then takes a while to say so (a slow
    network, a busy thread)."""

    slow_lease = False
    slow_end = False

    async def acquire(
        self, run_id: str, owner: str, ttl: float, now: float, *, take_from: str | None = None
    ) -> Lease:
        lease = await super().acquire(run_id, owner, ttl, now, take_from=take_from)
        if self.slow_lease:
            await anyio.sleep(0.2)
        return lease

    async def put_run(self, record: RunRecord, *, lease: Lease | None = None) -> None:
        await super().put_run(record, lease=lease)
        if self.slow_end and record.status is not StoredStatus.RUNNING:
            await anyio.sleep(0.2)


def _graph(pause: float) -> Graph[int]:
    @node
    async def double(x: int) -> int:
        await anyio.sleep(pause)
        return x * 2

    builder = GraphBuilder("double", inputs={"x": int})
    return builder.build(builder.add(double, inputs={"x": "inputs.x"}))


async def _cancelled_then_resumed(store: SlowStore, graph: Graph[int]) -> str:
    """Cancel a run after 50 ms (the run may have ended by then: nothing awaits after its
    end is recorded); check its lease is free and it resumes at once; return the status it
    was left with."""
    with anyio.move_on_after(0.05):
        await graph.run({"x": 4}, options=RunOptions(store=store, run_id="r"))
    stored = await store.load("r")
    assert stored is not None
    assert await store.leases(["r"]) == {}  # released, not held for 30 s
    store.slow_lease = store.slow_end = False
    resumed = await resume(graph, "r", store=store)  # at once, by the same process
    assert resumed.output == 8
    return stored.run.status.value


async def test_a_run_cancelled_while_taking_its_lease_is_settled(tmp_path: Path) -> None:
    store = SlowStore(tmp_path / "runs.db")
    store.slow_lease = True
    async with store:
        status = await _cancelled_then_resumed(store, _graph(pause=1.0))
    assert status == "cancelled"  # its node was running when the cancellation came


async def test_a_run_cancelled_while_recording_its_end_keeps_that_end(tmp_path: Path) -> None:
    store = SlowStore(tmp_path / "runs.db")
    store.slow_end = True
    async with store:
        status = await _cancelled_then_resumed(store, _graph(pause=0.0))
    assert status == "succeeded"  # it had ended: its end is what is recorded
