"""A 1000-node chain of cached nodes, run twice: the second run's time against the first.

Each round uses a fresh cache: run 1 executes every node and writes its entry, run 2 finds
every entry and executes none. Each node pauses ``--work-ms`` (a parse or a model call,
much shortened; 0 measures the cache's bare overhead). Rounds alternate backends, so drift
hits them alike; figures are medians over the rounds.

Target (issue 18): the second run of a fully cached chain costs a small fraction of the
first, and executes 0 nodes. Also printed: the first run against the same chain without a
cache, i.e. what writing the entries costs.

Usage: ``python benchmarks/cache.py [--nodes 1000] [--work-ms 1] [--rounds 5]
[--backends memory,sqlite] [--dir DIR] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import anyio

from plait import CachePolicy, Graph, GraphBuilder, RunOptions, node
from plait.engine import MemoryCache, ResultCache, SQLiteCache

__all__ = ["build", "main", "measure"]


def build(nodes: int, work: float, calls: Counter[str]) -> Graph[int]:
    """``x -> step0 -> step1 -> ... -> step{nodes-1}``, every step cached."""

    @node(cache=CachePolicy())
    async def step(value: int) -> int:
        calls["executed"] += 1
        if work:
            await anyio.sleep(work)
        return value + 1

    builder = GraphBuilder("cache_chain", inputs={"x": int})
    last = builder.add(step, id="step0", inputs={"value": "inputs.x"})
    for index in range(1, nodes):
        last = builder.add(step, id=f"step{index}", inputs={"value": last})
    return builder.build(last)


def _cache(backend: str, directory: Path, round_: int) -> ResultCache:
    if backend == "memory":
        return MemoryCache()
    return SQLiteCache(directory / f"cache-{round_}.db")


async def _timed(graph: Graph[int], cache: ResultCache | None) -> float:
    began = time.perf_counter()
    result = await graph.run({"x": 0}, options=RunOptions(cache=cache))
    elapsed = time.perf_counter() - began
    result.raise_for_status()
    return elapsed


async def measure(
    nodes: int, work: float, rounds: int, backends: list[str], directory: Path
) -> dict[str, dict[str, float]]:
    """Median seconds per backend: ``uncached``, ``first``, ``second``, and executions."""
    calls: Counter[str] = Counter()
    graph = build(nodes, work, calls)
    times: dict[str, dict[str, list[float]]] = {
        name: {"uncached": [], "first": [], "second": [], "second_executed": []}
        for name in backends
    }
    for round_ in range(rounds):
        for backend in backends:
            figures = times[backend]
            figures["uncached"].append(await _timed(graph, None))
            cache = _cache(backend, directory, round_)
            await cache.open()
            try:
                figures["first"].append(await _timed(graph, cache))
                calls.clear()
                figures["second"].append(await _timed(graph, cache))
                figures["second_executed"].append(calls["executed"])
            finally:
                await cache.close()
    return {
        backend: {name: statistics.median(values) for name, values in figures.items()}
        for backend, figures in times.items()
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--work-ms", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backends", default="memory,sqlite")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        found = anyio.run(
            measure, args.nodes, args.work_ms / 1000, args.rounds, backends, Path(directory)
        )
    print(f"cache: a {args.nodes}-node cached chain, {args.work_ms} ms of work per node")
    print("target: second run executes 0 nodes and costs a small fraction of the first")
    for backend, figures in found.items():
        ratio = figures["second"] / figures["first"]
        overhead = figures["first"] / figures["uncached"]
        print(
            f"  {backend:7} uncached {figures['uncached'] * 1000:8.1f} ms  "
            f"first {figures['first'] * 1000:8.1f} ms ({overhead:.2f}x uncached)  "
            f"second {figures['second'] * 1000:8.1f} ms ({ratio:.3f}x first, "
            f"{figures['second_executed']:.0f} nodes executed)"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
