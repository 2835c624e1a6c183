"""A 100-node graph (chains and fan-outs) whose nodes log each execution to a file.

Run as a script by ``test_crash_resume.py``: ``python crash_graph.py run|resume DB LOG ID``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio

from plait import Graph, GraphBuilder, RunOptions, node
from plait.engine import open_store, resume
from plait.nodes import FunctionNode

LOG: list[Path] = []


def _step(name: str, offset: int) -> FunctionNode[int]:
    async def work(left: int, right: int = 0) -> int:
        with LOG[0].open("a") as log:
            log.write(name + "\n")
        await anyio.sleep(0.01)
        return left + right + offset

    return node(id=name)(work)


def build() -> Graph[int]:
    """Ten lanes of nine steps each, fanned out from a source and into a funnel of joins."""
    builder = GraphBuilder("crashable", inputs={"seed": int})
    source = builder.add(_step("source", 1), inputs={"left": "inputs.seed"})
    tails = []
    for lane in range(10):
        previous = source
        for depth in range(9):
            name = f"n{lane}_{depth}"
            previous = builder.add(_step(name, lane * 10 + depth), inputs={"left": previous})
        tails.append(previous)
    total = tails[0]
    for index, tail in enumerate(tails[1:], start=1):
        total = builder.add(_step(f"sum{index}", 0), inputs={"left": total, "right": tail})
    return builder.build(total)


async def main(command: str, database: str, log: str, run_id: str) -> None:
    LOG.append(Path(log))
    graph = build()
    store = open_store(f"sqlite:///{database}")
    await store.open()
    try:
        if command == "run":
            options = RunOptions(store=store, run_id=run_id, lease=0.5)
            result = await graph.run({"seed": 3}, options=options)
        else:
            result = await resume(graph, run_id, store=store, options=RunOptions(lease=0.5))
        print(result.output, flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    command, database, log, run_id = sys.argv[1:5]
    anyio.run(main, command, database, log, run_id)
