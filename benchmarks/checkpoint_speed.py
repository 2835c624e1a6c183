"""W4-style timings: a durable commit per output, plait's SQLite store against raw commits.

Cases: the 1000-node chain (W4 itself), the 10,000-node chain and a 200-item map (201
outputs). Engines, timed in interleaved repetitions (medians; ratios to ``floor``):

- ``floor``: the same bodies, then one raw sqlite3 insert-and-commit (WAL, FULL) per output
  made on the event loop (issue 17's W4 target: plait at most 1.3 times this);
- ``floor_thread``: the same commit through ``anyio.to_thread`` (the thread-hop floor);
- ``plait``: ``RunOptions(store=SQLiteStore(path), durability="sync")``, small commits
  made on the event loop (the default, docs/adr-024-record-format.md);
- ``plait_thread``: the same with ``SQLiteStore(path, inline=False)`` (every write in the
  worker thread, as before);
- ``langgraph`` (its ``AsyncSqliteSaver``, ``durability="sync"``) and ``burr`` (its
  ``SQLLitePersister``, a save per step; synchronous), for the 1000-node chain, when
  importable (``pip install langgraph-checkpoint-sqlite burr``).

``stall ms`` is the longest the event loop went without running a 1 ms ticker during one
extra run (what an inline commit blocks other tasks for). The disk is shared: expect noise.

Usage: ``python benchmarks/checkpoint_speed.py [--repetitions N] [--only chain-1000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import anyio.to_thread
import checkpoint_rivals
from bodies import noop
from workloads_plait import define_chain

import plait
from plait import Graph, GraphBuilder
from plait.engine import SQLiteStore

__all__ = ["main"]

TARGET = 1.3
Run = Callable[[], Awaitable[object]]


def _floor(folder: Path, name: str, n: int, concurrent: bool, hop: bool) -> Run:
    """``n`` bodies, each output inserted and committed (map: items concurrently)."""
    connection = sqlite3.connect(
        folder / f"{name}.sqlite", isolation_level=None, check_same_thread=False
    )
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute(
        "CREATE TABLE outputs (run TEXT, node TEXT, attempt INTEGER, data BLOB, "
        "checksum BLOB, at REAL, PRIMARY KEY (run, node))"
    )
    runs = itertools.count()
    lock = threading.Lock()  # the map's items commit from several threads

    def commit(run: int, step: int, value: int) -> None:
        with lock:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "INSERT INTO outputs VALUES (?, ?, ?, ?, ?, ?)",
                (f"r{run}", f"n{step}", 1, str(value).encode(), b"", time.time()),
            )
            connection.execute("COMMIT")

    async def step(run: int, index: int, value: int) -> int:
        value = await noop(value)
        if hop:
            await anyio.to_thread.run_sync(commit, run, index, value)
        else:
            commit(run, index, value)
        return value

    async def run() -> object:
        this = next(runs)
        if not concurrent:
            value = 1
            for index in range(n):
                value = await step(this, index, value)
            return value
        async with anyio.create_task_group() as group:
            for index in range(n - 1):
                group.start_soon(step, this, index, index)
        return await step(this, n - 1, 0)

    return run


def _map(n: int) -> Graph[list[int]]:
    builder = GraphBuilder("items", inputs={"xs": list[int]})
    return builder.build(builder.map(noop, over="x", id="each", inputs={"x": "inputs.xs"}))


async def _plait(
    folder: Path, name: str, graph: Graph[object], inputs: dict[str, object], *, inline: bool
) -> Run:
    store = SQLiteStore(folder / f"{name}.sqlite", inline=inline)
    await store.open()
    options = plait.RunOptions(store=store, durability="sync")

    async def run() -> object:
        result = await plait.run(graph, inputs, options=options)
        assert result.status == "succeeded", result
        return result.output

    return run


async def _stall(run: Run) -> float:
    """The longest gap (ms) between ticks of a 1 ms ticker while ``run`` runs."""
    gaps = [0.0]
    done = anyio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await anyio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    async with anyio.create_task_group() as group:
        group.start_soon(ticker)
        await run()
        done.set()
    return max(gaps) * 1000


async def _case(folder: Path, name: str, n: int, repetitions: int) -> None:
    chain = name.startswith("chain")
    slug = name.replace(" ", "-")
    if chain:
        builder, last = define_chain(n)
        graph: Graph[object] = builder.build(last)
        inputs: dict[str, object] = {"x": 1}
    else:
        graph, inputs = _map(n - 1), {"xs": list(range(n - 1))}
    runs: dict[str, Run] = {
        "floor": _floor(folder, f"{slug}-floor", n, not chain, hop=False),
        "floor_thread": _floor(folder, f"{slug}-floor-thread", n, not chain, hop=True),
        "plait": await _plait(folder, f"{slug}-plait", graph, inputs, inline=True),
        "plait_thread": await _plait(folder, f"{slug}-thread", graph, inputs, inline=False),
    }
    async with contextlib.AsyncExitStack() as stack:
        if name == "chain 1000":
            runs.update(await checkpoint_rivals.rivals(folder, n, stack))
        await _time(name, n, runs, repetitions)


async def _time(name: str, n: int, runs: dict[str, Run], repetitions: int) -> None:
    for run in runs.values():
        await run()  # warm-up
    times: dict[str, list[float]] = {engine: [] for engine in runs}
    for _ in range(repetitions):
        for engine, run in runs.items():
            start = time.perf_counter()
            await run()
            times[engine].append(time.perf_counter() - start)
    stalls = {engine: await _stall(runs[engine]) for engine in ("plait", "plait_thread")}
    floor = statistics.median(times["floor"])
    for engine, values in times.items():
        median = statistics.median(values)
        ratio = median / floor
        target = ""
        if engine == "plait":
            target = f"≤ {TARGET}x floor  {'ok' if ratio <= TARGET else 'MISS'}"
        stall = f"{stalls[engine]:9.2f}" if engine in stalls else " " * 9
        print(
            f"{name:<12}{engine:<14}{median * 1000:>10.1f}{median / n * 1e6:>9.1f}"
            f"{ratio:>8.2f}x{stall}  {target}",
            flush=True,
        )


async def _main(only: list[str] | None, repetitions: int) -> None:
    print(
        f"{'case':<12}{'engine':<14}{'median ms':>10}{'µs/out':>9}{'x floor':>9}"
        f"{'stall ms':>9}  target ({repetitions} interleaved repetitions)"
    )
    cases = [("chain 1000", 1000), ("chain 10000", 10_000), ("map 200", 201)]
    print(f"load average before: {_load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="plait-w4-") as directory:
        for name, n in cases:
            if only is None or name.replace(" ", "-") in only:
                await _case(Path(directory), name, n, repetitions)
    print(f"load average after: {_load()} ({os.cpu_count()} cores; the disk is shared too)")


def _load() -> str:
    """The 1, 5 and 15 minute load averages (how busy the shared machine was)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    """Parse the options, time the cases, print a row per engine."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--only", help="chain-1000,chain-10000,map-200")
    options = parser.parse_args()
    only = None if options.only is None else options.only.split(",")
    anyio.run(_main, only, max(1, options.repetitions))


if __name__ == "__main__":
    main()
