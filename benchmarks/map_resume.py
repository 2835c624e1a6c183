"""Resuming a 200-item map whose last item failed: items re-run, and the resume's time.

Each round, on one SQLite file: a fresh durable run of the map (every item succeeds), then
a run whose item 199 fails, then the resume of that run. Rounds interleave the three, so
drift in the disk's flush time hits them alike; figures are medians over the rounds.

Targets (issue 17): 0 finished items re-run; the resume costs a small fraction of a fresh
run (it runs one item, then the map's downstream). Also printed: the fresh durable run
against the same map without a store, i.e. what committing each item costs.

Each item pauses ``--work-ms`` (an agent's call, much shortened) and at most
``--concurrency`` run at once (a provider's rate limit), so a fresh run pays 20 waves.

Usage: ``python benchmarks/map_resume.py [--items 200] [--fail 199] [--work-ms 20]
[--concurrency 10] [--rounds 5] [--dir DIR] [--json FILE]``.
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

from plait import Graph, GraphBuilder, RunOptions, RunStatus, node
from plait.engine import resume
from plait.engine.stores._sqlite import SQLiteStore

__all__ = ["build", "main", "measure"]


def build(
    calls: Counter[int], broken: set[int], work: float, concurrency: int | None = None
) -> Graph[int]:
    """``items -> each (map of work) -> total``; the items in ``broken`` fail."""

    @node
    async def work_on(item: int) -> int:
        calls[item] += 1
        if work:
            await anyio.sleep(work)
        if item in broken:
            raise RuntimeError(f"item {item} is broken")
        return item * 2

    @node
    async def total(values: list[int]) -> int:
        return sum(values)

    builder = GraphBuilder("map_resume", inputs={"items": list[int]})
    mapped = builder.map(
        work_on, over="item", id="each", concurrency=concurrency, inputs={"item": "inputs.items"}
    )
    return builder.build(builder.add(total, inputs={"values": mapped}))


async def measure(
    items: int, fail: int, work: float, concurrency: int, rounds: int, folder: Path
) -> dict[str, float]:
    """Interleaved rounds of plain, fresh durable, failing and resumed runs; medians."""
    calls: Counter[int] = Counter()
    broken: set[int] = set()
    graph = build(calls, broken, work, concurrency or None)
    inputs = {"items": list(range(items))}
    expected = 2 * sum(range(items))
    times: dict[str, list[float]] = {"plain": [], "fresh": [], "resume": []}
    rerun: list[int] = []
    async with SQLiteStore(folder / "runs.db") as store:
        for round_ in range(rounds):
            began = time.perf_counter()
            plain = await graph.run(inputs)
            times["plain"].append(time.perf_counter() - began)
            began = time.perf_counter()
            fresh = await graph.run(inputs, options=RunOptions(store=store))
            times["fresh"].append(time.perf_counter() - began)
            broken.add(fail)
            run_id = f"failing-{round_}"
            failed = await graph.run(inputs, options=RunOptions(store=store, run_id=run_id))
            broken.clear()
            assert failed.status is RunStatus.FAILED, failed.status
            before = Counter(calls)
            began = time.perf_counter()
            resumed = await resume(graph, run_id, store=store)
            times["resume"].append(time.perf_counter() - began)
            assert plain.output == fresh.output == resumed.output == expected
            ran = calls - before
            rerun.append(sum(count for item, count in ran.items() if item != fail))
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "items": items,
        "items_rerun": max(rerun),
        "plain_s": medians["plain"],
        "fresh_s": medians["fresh"],
        "resume_s": medians["resume"],
        "resume_over_fresh": medians["resume"] / medians["fresh"],
        "commit_us_per_item": (medians["fresh"] - medians["plain"]) / items * 1e6,
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--fail", type=int, default=None, help="default: the last item")
    parser.add_argument("--work-ms", type=float, default=20.0, help="each item's pause")
    parser.add_argument("--concurrency", type=int, default=10, help="items at once")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite file goes")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    fail = args.items - 1 if args.fail is None else args.fail
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        figures = anyio.run(
            measure,
            args.items,
            fail,
            args.work_ms / 1000,
            args.concurrency,
            args.rounds,
            Path(folder),
        )
    print(
        f"map of {args.items} items ({args.concurrency} at a time, {args.work_ms:g} ms each), "
        f"item {fail} fails, then resume; medians of {args.rounds} interleaved rounds"
    )
    print(f"  items re-run on resume    {figures['items_rerun']:>10.0f}   (target 0)")
    print(f"  fresh durable run         {figures['fresh_s'] * 1000:>10.1f} ms")
    print(f"  resume                    {figures['resume_s'] * 1000:>10.1f} ms")
    ratio = figures["resume_over_fresh"]
    print(f"  resume / fresh            {ratio:>10.2f}x  (target: far below 1)")
    print(f"  run without a store       {figures['plain_s'] * 1000:>10.1f} ms")
    print(f"  commit cost per item      {figures['commit_us_per_item']:>10.0f} us")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return figures


if __name__ == "__main__":
    main()
