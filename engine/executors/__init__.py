"""Executors: where a node attempt runs. Local by default; Dask for a cluster.

    async with DaskExecutor("tcp://127.0.0.1:8786") as dask:
        result = await run(graph, inputs, options=RunOptions(executors={"dask": dask}))

The Dask executor is an optional extra (``pip install 'plait[dask]'``), imported only
when an executor is opened.
"""

from plait.engine.executors._dask import DaskExecutor, parse_executor
from plait.engine.executors._local import LocalExecutor
from plait.engine.executors._protocol import (
    Attempt,
    Executor,
    ExecutorError,
    RemoteImportError,
    RemoteNodeError,
    SchedulerUnreachableError,
    WorkerLostError,
)

__all__ = [
    "Attempt",
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "LocalExecutor",
    "RemoteImportError",
    "RemoteNodeError",
    "SchedulerUnreachableError",
    "WorkerLostError",
    "parse_executor",
]
