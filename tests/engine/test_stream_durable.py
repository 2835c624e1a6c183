"""``stream()`` honours ``options.store`` as ``run()`` does: the run is checkpointed."""

from __future__ import annotations

from pathlib import Path

import pytest

from plait import GraphBuilder, RunOptions, RunStatus, node
from plait.engine import NodeFinished, stream
from plait.engine.stores._protocol import StoredStatus
from plait.engine.stores._sqlite import SQLiteStore

pytestmark = pytest.mark.anyio


@node
def double(x: int) -> int:
    return x * 2


@node
def plus_one(y: int) -> int:
    return y + 1


async def test_a_streamed_run_with_a_store_is_recorded_and_checkpointed(tmp_path: Path) -> None:
    builder = GraphBuilder("streamed", inputs={"x": int})
    doubled = builder.add(double, inputs={"x": "inputs.x"})
    graph = builder.build(builder.add(plus_one, inputs={"y": doubled}))
    store = SQLiteStore(tmp_path / "runs.db")
    await store.open()
    try:
        finished = []
        async with stream(graph, {"x": 20}, options=RunOptions(store=store)) as handle:
            async for event in handle:
                if isinstance(event, NodeFinished):
                    finished.append(event.node)
        assert handle.result.status is RunStatus.SUCCEEDED
        assert handle.result.output == 41
        assert sorted(finished) == ["double", "plus_one"]

        stored = await store.load(handle.run_id)
        assert stored is not None
        assert stored.run.status is StoredStatus.SUCCEEDED
        assert sorted(stored.outputs) == ["double", "plus_one"]
    finally:
        await store.close()
