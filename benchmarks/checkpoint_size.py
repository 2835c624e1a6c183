"""Checkpoint bytes: what one durable run adds to a SQLite store, by graph size.

For each case a fresh store runs the graph once (``durability="sync"``) and is closed
(the WAL is checkpointed into the file); the figure is the file's size minus an empty
store's, and per output record. Cases: the W4 chain at 1000 and 10,000 nodes (linear in
outputs: the per-output figure must not grow) and a 200-item map (201 records).
A second run of the same graph adds no graph description (stored once per content hash).

Usage: ``python benchmarks/checkpoint_size.py`` (targets from issue 17: ≤ 250 KB for the
1000-node chain).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import anyio
from bodies import noop
from workloads_plait import define_chain

import plait
from plait import Graph, GraphBuilder
from plait.engine import SQLiteStore

__all__ = ["main", "measure"]

TARGET_1000 = 250 * 1024


def _chain(n: int) -> Graph[int]:
    builder, last = define_chain(n)
    return builder.build(last)


def _map(n: int) -> Graph[list[int]]:
    builder = GraphBuilder("items", inputs={"xs": list[int]})
    return builder.build(builder.map(noop, over="x", id="each", inputs={"x": "inputs.xs"}))


async def _size(
    folder: Path, name: str, runs: list[tuple[Graph[object], dict[str, object]]]
) -> int:
    path = folder / f"{name}.sqlite"
    async with SQLiteStore(path) as store:
        for graph, inputs in runs:
            options = plait.RunOptions(store=store)
            result = await plait.run(graph, inputs, options=options)
            assert result.status == "succeeded", result
    return path.stat().st_size


async def measure(folder: Path) -> list[tuple[str, int, int]]:
    """(case, bytes the run added, output records) per case."""
    empty = await _size(folder, "empty", [])
    cases: list[tuple[str, Callable[[], Graph[object]], dict[str, object], int]] = [
        ("chain 1000", lambda: _chain(1000), {"x": 1}, 1000),
        ("chain 10000", lambda: _chain(10_000), {"x": 1}, 10_000),
        ("map 200", lambda: _map(200), {"xs": list(range(200))}, 201),
    ]
    figures = []
    for name, make, inputs, records in cases:
        graph = make()
        once = await _size(folder, name.replace(" ", "-"), [(graph, inputs)])
        figures.append((name, once - empty, records))
        twice = await _size(folder, name.replace(" ", "-") + "-x2", [(graph, inputs)] * 2)
        figures.append((f"{name}, 2nd run", twice - once, records))
    return figures


def main() -> None:
    """Print each case's bytes beside the target."""
    with tempfile.TemporaryDirectory(prefix="plait-size-") as directory:
        figures = anyio.run(measure, Path(directory))
    print(f"{'case':<24}{'bytes':>12}{'records':>9}{'bytes/record':>14}  target")
    for name, added, records in figures:
        target = ""
        if name == "chain 1000":
            verdict = "ok" if added <= TARGET_1000 else "MISS"
            target = f"≤ {TARGET_1000 // 1024} KB  {verdict}"
        print(f"{name:<24}{added:>12,}{records:>9,}{added / records:>14.1f}  {target}")


if __name__ == "__main__":
    main()
