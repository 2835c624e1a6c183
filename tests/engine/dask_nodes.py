"""Node functions a Dask worker imports by name (``tests.engine.dask_nodes:...``).

Each node appends a line to the file named by ``PLAIT_TEST_EFFECTS`` (when set), so a
test can count where and how often it ran across processes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import anyio
import anyio.lowlevel

from plait import Graph, GraphBuilder, node


def _effect(name: str) -> None:
    log = os.environ.get("PLAIT_TEST_EFFECTS")
    if log:
        with Path(log).open("a") as file:
            file.write(f"{name} {os.getpid()}\n")


@node
def double(x: int) -> int:
    """A sync node: runs in a worker thread."""
    _effect("double")
    return x * 2


@node
async def pid_of(x: int) -> int:
    """An async node: runs on the worker's event loop; says which process ran it."""
    _effect("pid_of")
    await anyio.lowlevel.checkpoint()
    return os.getpid()


@node(executor="dask")
def remote_pid(x: int) -> int:
    """Placed on the run's `dask` executor by its own mark."""
    return os.getpid()


@node
def local_pid(x: int) -> int:
    return os.getpid()


@node
def boom(x: int) -> int:
    _effect("boom")
    raise ValueError(f"boom {x}")


@node
def slow(x: int) -> int:
    """Sleeps 30 s in slices unless ``PLAIT_TEST_FAST`` is set; killed or timed out first."""
    _effect("slow")
    if os.environ.get("PLAIT_TEST_FAST"):
        return x + 1
    for _ in range(300):
        time.sleep(0.1)
    return x + 1


@node
def once_slow(x: int) -> int:
    """Slow the first time it runs (the effects file has one line), fast after: a worker
    killed during the first run sees the second finish."""
    _effect("once_slow")
    log = os.environ.get("PLAIT_TEST_EFFECTS")
    lines = Path(log).read_text().count("once_slow") if log else 2
    if lines == 1:
        time.sleep(30)
    return x + 100


def pipeline() -> Graph[int]:
    """double -> once_slow -> double: what the driver-kill test runs from the CLI."""
    builder = GraphBuilder("dask_pipeline", inputs={"x": int})
    first = builder.add(double, id="first", inputs={"x": "inputs.x"})
    middle = builder.add(once_slow, id="middle", inputs={"x": first})
    last = builder.add(double, id="last", inputs={"x": middle})
    return builder.build(last)


@node
async def meet(x: int, count: int) -> int:
    """Waits (up to 20 s) until ``count`` attempts of it have started, so it succeeds only
    when that many run at once; returns how many had started when it saw them all."""
    _effect("meet")
    with anyio.fail_after(20):
        while (started := _count("meet")) < count:  # noqa: ASYNC110 - other processes
            await anyio.sleep(0.05)
    return started


def _count(name: str) -> int:
    return Path(os.environ["PLAIT_TEST_EFFECTS"]).read_text().count(f"{name} ")
