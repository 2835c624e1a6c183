"""Group commit: a map's items committed together share transactions, and none is lost."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from plait import Graph, GraphBuilder, RunOptions, RunStatus, node

from .test_commits_now import CountingStore

pytestmark = pytest.mark.anyio


def _squares(returned: list[int], broken: set[int]) -> Graph[list[int]]:
    @node
    async def square(item: int) -> int:
        await anyio.sleep(0.01)
        if item in broken:
            raise RuntimeError(f"item {item} is broken")
        returned.append(item)
        return item * item

    builder = GraphBuilder("squares", inputs={"items": list[int]})
    return builder.build(
        builder.map(square, over="item", id="each", inputs={"item": "inputs.items"})
    )


async def test_items_that_finish_together_share_transactions(tmp_path: Path) -> None:
    returned: list[int] = []
    graph = _squares(returned, set())
    store = CountingStore(tmp_path / "runs.db")
    async with store:
        result = await graph.run({"items": list(range(50))}, options=RunOptions(store=store))
        stored = await store.load(result.run_id)

    assert result.output == [item * item for item in range(50)]
    assert stored is not None
    assert {f"each[{item}]/square" for item in range(50)} <= set(stored.outputs)
    assert sum(store.batches) == 51  # 50 items and the map, each written once
    assert len(store.batches) <= 10, store.batches  # not one transaction per item


async def test_an_item_that_returned_is_committed_though_a_sibling_failed(
    tmp_path: Path,
) -> None:
    returned: list[int] = []
    graph = _squares(returned, {17})
    store = CountingStore(tmp_path / "runs.db")
    async with store:
        options = RunOptions(store=store, run_id="r")
        result = await graph.run({"items": list(range(50))}, options=options)
        stored = await store.load("r")

    assert result.status is RunStatus.FAILED
    assert stored is not None
    committed = {name for name in stored.outputs if name.startswith("each[")}
    assert returned  # some items finished before item 17 failed and cancelled the rest
    assert {f"each[{item}]/square" for item in returned} <= committed
