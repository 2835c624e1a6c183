"""A 60-item map whose items log each execution to a file: killed mid-map and resumed.

Run as a script by ``test_map_crash.py``: ``python map_crash_graph.py run|resume DB LOG``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio

from plait import Graph, GraphBuilder, RunOptions, node
from plait.engine import open_store, resume

LOG: list[Path] = []
ITEMS = 60


@node
async def work(item: int) -> int:
    with LOG[0].open("a") as log:
        log.write(f"{item}\n")
    await anyio.sleep(0.02)
    return item * item


@node
async def total(values: list[int]) -> int:
    return sum(values)


def build() -> Graph[int]:
    builder = GraphBuilder("squares", inputs={"items": list[int]})
    mapped = builder.map(
        work, over="item", id="each", concurrency=4, inputs={"item": "inputs.items"}
    )
    return builder.build(builder.add(total, inputs={"values": mapped}))


async def main(command: str, database: str, log: str) -> None:
    LOG.append(Path(log))
    graph = build()
    store = open_store(f"sqlite:///{database}")
    await store.open()
    try:
        if command == "run":
            options = RunOptions(store=store, run_id="map-1", lease=0.5)
            result = await graph.run({"items": list(range(ITEMS))}, options=options)
        else:
            result = await resume(graph, "map-1", store=store, options=RunOptions(lease=0.5))
        print(result.output, flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    command, database, log = sys.argv[1:4]
    anyio.run(main, command, database, log)
