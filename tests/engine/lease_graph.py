"""A four-node chain whose ``stall`` node stops its process the first time it runs.

Run by ``stores/test_lease_takeover.py``:
``python -m tests.engine.lease_graph run|resume STORE_URL MARKS RUN_ID LEASE block|hang``.

``block`` holds the event loop with ``time.sleep`` (heartbeats cannot run, so the lease
lapses while the process lives); ``hang`` waits without blocking (heartbeats go on).
Each node appends its name to ``MARKS/executions`` when it runs; ``MARKS/stalled``
appears when ``stall`` stops, and keeps later runs of it from stopping again.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import anyio

from plait import Graph, GraphBuilder, LeaseLostError, RunOptions, node
from plait.engine import open_store, resume

MARKS = Path()
"""Where the marks go (the test sets it when it runs the graph in its own process)."""
STALL = {"mode": "hang"}
BLOCK_SECONDS = 4.0


def _mark(name: str) -> None:
    with (MARKS / "executions").open("a") as log:
        log.write(name + "\n")


@node
async def first(x: int) -> int:
    _mark("first")
    return x + 1


@node
async def stall(x: int) -> int:
    _mark("stall")
    stalled = MARKS / "stalled"
    if not stalled.exists():
        stalled.write_text(str(os.getpid()))
        if STALL["mode"] == "block":
            time.sleep(BLOCK_SECONDS)  # noqa: ASYNC251 - blocks the loop: no heartbeat runs
        else:
            await anyio.sleep_forever()
    return x * 10


@node
async def after(x: int) -> int:
    _mark("after")
    return x + 2


@node
async def last(x: int) -> int:
    _mark("last")
    return x - 1


def build() -> Graph[int]:
    builder = GraphBuilder("leased", inputs={"x": int})
    one = builder.add(first, inputs={"x": "inputs.x"})
    two = builder.add(stall, inputs={"x": one})
    three = builder.add(after, inputs={"x": two})
    return builder.build(builder.add(last, inputs={"x": three}))


GRAPH = build()


async def main(command: str, url: str, run_id: str, lease: float) -> int:
    store = open_store(url)
    await store.open()
    try:
        if command == "run":
            options = RunOptions(store=store, run_id=run_id, lease=lease)
            result = await GRAPH.run({"x": 1}, options=options)
        else:
            result = await resume(GRAPH, run_id, store=store, options=RunOptions(lease=lease))
    except LeaseLostError as error:
        print(f"lost: {error}", flush=True)
        return 3
    finally:
        await store.close()
    print(result.output, flush=True)
    return 0


if __name__ == "__main__":
    from tests.engine import lease_graph  # the nodes named as the test process names them

    command, url, marks, run_id, lease, mode = sys.argv[1:7]
    lease_graph.MARKS, lease_graph.STALL["mode"] = Path(marks), mode
    sys.exit(anyio.run(lease_graph.main, command, url, run_id, float(lease)))
