"""Server time of the viewer's pages (``plait ui``): a run of 1,000 nodes, a list of
10,000 runs.

The app is called in-process through Starlette's TestClient (no socket, no browser), on
a SQLite store in a temporary directory; each figure is the median of ``--repetitions``
requests after one warm-up. The run page's diagram is fetched by the page's script as a
second request: it is timed apart, cold (``dot`` lays it out) and warm (kept).

Usage: ``python benchmarks/ui_pages.py [--nodes 1000] [--runs 10000] [--repetitions 5]``.
Prints each figure beside its target; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio
from render import large_graph
from starlette.testclient import TestClient

from plait.engine import RunOptions, RunRecord, StoredStatus, open_store, run
from plait.ui import create_app

__all__ = ["main"]

RUN_PAGE_TARGET = 0.5
LIST_PAGE_TARGET = 0.5


def median_seconds(work: Callable[[], object], repetitions: int) -> float:
    """The median wall time of ``work`` over ``repetitions`` calls, after one warm-up."""
    work()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _fill(url: str, nodes: int, runs: int) -> str:
    """A run of a ``nodes``-node graph, then ``runs`` more run records; the big run's id."""

    async def go() -> str:
        store = open_store(url)
        await store.open()
        try:
            options = RunOptions(store=store, durability="exit")
            big = await run(large_graph(nodes), {"seed": 1}, options=options)
            for index in range(runs - 1):
                status = (StoredStatus.SUCCEEDED, StoredStatus.FAILED)[index % 2]
                record = RunRecord(
                    f"bench-{index:06d}", f"graph{index % 7}", "hash", '{"nodes": []}', b"{}",
                    status, 1_000.0 + index, 1_001.0 + index,
                )  # fmt: skip
                await store.put_run(record)
        finally:
            await store.close()
        return big.run_id

    return anyio.run(go)


def _get(client: TestClient, path: str, **params: str) -> Callable[[], object]:
    def fetch() -> object:
        response = client.get(path, params=params)
        response.raise_for_status()
        return response

    return fetch


def main(argv: Sequence[str] | None = None) -> int:
    """Time the pages and print the figures; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000, help="nodes of the big run")
    parser.add_argument("--runs", type=int, default=10_000, help="runs in the store")
    parser.add_argument("--repetitions", type=int, default=5, help="timed requests")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'runs.db'}"
        start = time.perf_counter()
        big = _fill(url, options.nodes, options.runs)
        print(f"filled the store in {time.perf_counter() - start:.1f} s")
        app = create_app(open_store(url))
        with TestClient(app, base_url="http://127.0.0.1") as client:
            start = time.perf_counter()
            _get(client, f"/runs/{big}/diagram.svg")()
            cold = time.perf_counter() - start
            figures = {
                f"run page, {options.nodes:,} nodes": (
                    median_seconds(_get(client, f"/runs/{big}"), options.repetitions),
                    RUN_PAGE_TARGET,
                ),
                f"run page, {options.nodes:,} nodes, node inspected": (
                    median_seconds(_get(client, f"/runs/{big}", node="c0_5"), options.repetitions),
                    RUN_PAGE_TARGET,
                ),
                f"runs list of {options.runs:,}, page 1": (
                    median_seconds(_get(client, "/runs"), options.repetitions),
                    LIST_PAGE_TARGET,
                ),
                f"runs list of {options.runs:,}, page 100": (
                    median_seconds(_get(client, "/runs", page="100"), options.repetitions),
                    LIST_PAGE_TARGET,
                ),
                f"runs list of {options.runs:,}, filtered and searched": (
                    median_seconds(
                        _get(client, "/runs", status="failed", graph="graph3", q="bench-0001"),
                        options.repetitions,
                    ),
                    LIST_PAGE_TARGET,
                ),
            }
            warm = median_seconds(_get(client, f"/runs/{big}/diagram.svg"), options.repetitions)
    missed = 0
    for name, (seconds, target) in figures.items():
        verdict = "ok" if seconds < target else "OVER"
        missed += seconds >= target
        print(f"{name:55} {seconds * 1000:8.1f} ms   target < {target * 1000:.0f} ms  {verdict}")
    print(f"{'run diagram (SVG), cold: dot lays it out':55} {cold * 1000:8.1f} ms")
    print(f"{'run diagram (SVG), warm: kept':55} {warm * 1000:8.1f} ms")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
