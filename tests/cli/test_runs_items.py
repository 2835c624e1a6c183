"""`plait runs` counts top-level nodes done, not the map items kept under their paths."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from plait import GraphBuilder, RunOptions, node
from plait.cli import main
from plait.engine import open_store


@node
async def double(item: int) -> int:
    return item * 2


@node
async def total(values: list[int]) -> int:
    return sum(values)


async def _run_a_map(url: str) -> None:
    builder = GraphBuilder("doubling", inputs={"items": list[int]})
    mapped = builder.map(double, over="item", id="each", inputs={"item": "inputs.items"})
    graph = builder.build(builder.add(total, inputs={"values": mapped}))
    store = open_store(url)
    await store.open()
    try:
        result = await graph.run({"items": [1, 2, 3]}, options=RunOptions(store=store))
    finally:
        await store.close()
    assert result.output == 12


def test_runs_counts_a_map_as_one_node(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    anyio.run(_run_a_map, url)

    assert main(["runs", "--store", url, "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)

    assert (row["nodes_done"], row["nodes_total"]) == (2, 2)  # not 5: 3 items are inside
