"""A driver process: runs ``dask_nodes.pipeline`` on a Dask scheduler with a SQLite store.

``python dask_driver.py DB SCHEDULER RUN_ID``; killed with SIGKILL by the test, whose
``plait resume`` then finishes the run (a short lease, so the takeover is quick).
"""

from __future__ import annotations

import sys

import anyio

from plait import RunOptions
from plait.engine import open_store, run
from plait.engine.executors import DaskExecutor
from tests.engine.dask_nodes import pipeline


async def main(database: str, scheduler: str, run_id: str) -> None:
    store = open_store(f"sqlite:///{database}")
    await store.open()
    try:
        async with DaskExecutor(scheduler) as dask:
            options = RunOptions(store=store, run_id=run_id, lease=0.5, executor=dask)
            result = await run(pipeline(), {"x": 1}, options=options)
        print(result.output, flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    database, scheduler, run_id = sys.argv[1:4]
    anyio.run(main, database, scheduler, run_id)
