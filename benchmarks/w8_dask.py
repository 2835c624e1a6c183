"""W8: node attempts on a Dask LocalCluster (2 processes x 1 thread) beside the local executor.

Usage: ``python benchmarks/w8_dask.py [--repetitions 3] [--json FILE]``.

Workloads, each one run: ``io``, 200 nodes each waiting 100 ms (async, like LLM calls);
``cpu``, 8 nodes each computing ~0.5 s of pure Python; ``mixed``, both in one graph;
``chain``, 50 no-op nodes one after another (the cost of one attempt, start to end). Each
runs on the local executor and with every function node on Dask (``dask``), and the mixed
graph also with only the CPU nodes' pool placed on Dask (``placed``). Repetitions are
interleaved; medians are reported, with the targets: CPU-bound speed-up >= 1.7x on 2
cores, I/O-bound within 1.3x of local. ``floor`` is Dask alone: the I/O fan's 200 tasks
submitted in one ``client.map`` and gathered at once, without plait, on the same cluster
(what the cluster itself costs). The zero-overhead check of the local path is ``hook``: a
1000-node chain with a listener (so every attempt goes through the executor hook) on a run
without executors. The machine's load average is printed beside the figures: on a loaded
2-core machine, 2 worker processes get less than 2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import time

import anyio
import w8_nodes

from plait import Graph, GraphBuilder, RunOptions, run
from plait.engine.executors import DaskExecutor
from plait.engine.executors._dask import _task_async
from plait.graphs import NodeRef
from plait.nodes import Node


def fan(body: Node[int], count: int, name: str) -> Graph[object]:
    """``count`` attempts of ``body`` at once: a map over ``count`` items."""
    builder = GraphBuilder(name, inputs={"x": int, "count": int})
    builder.add(w8_nodes.items, inputs={"x": "inputs.x", "count": "inputs.count"})
    builder.map(body, over="x", id="each", inputs={"x": "items"})
    return builder.build("each")


def mixed(crunch: Node[int]) -> Graph[object]:
    """Both fans in one graph, joined."""
    builder = GraphBuilder("mixed", inputs={"x": int, "io": int, "cpu": int})
    builder.add(w8_nodes.items, id="io_items", inputs={"x": "inputs.x", "count": "inputs.io"})
    builder.add(w8_nodes.items, id="cpu_items", inputs={"x": "inputs.x", "count": "inputs.cpu"})
    builder.map(w8_nodes.wait, over="x", id="waited", inputs={"x": "io_items"})
    builder.map(crunch, over="x", id="crunched", inputs={"x": "cpu_items"})
    builder.add(w8_nodes.both, inputs={"waited": "waited", "crunched": "crunched"})
    return builder.build("both")


def chain(length: int) -> Graph[object]:
    builder = GraphBuilder("chain", inputs={"x": int})
    previous: str | NodeRef[int] = "inputs.x"
    for index in range(length):
        previous = builder.add(w8_nodes.nothing, id=f"n{index}", inputs={"x": previous})
    return builder.build(previous)


async def timed(
    graph: Graph[object], inputs: dict[str, int], options: RunOptions, listen: bool = False
) -> float:
    listeners = (_ignore,) if listen else ()
    started = time.perf_counter()
    result = await run(graph, inputs, options=options, listeners=listeners)
    elapsed = time.perf_counter() - started
    assert result.status.value == "succeeded", result.error
    return elapsed


def _ignore(event: object) -> None:
    return None


async def floor(dask: DaskExecutor, count: int) -> float:
    """Dask alone: ``count`` waits as tasks of one ``client.map``, gathered at once."""
    client = dask._client
    keys = [f"floor-{time.perf_counter_ns()}-{index}" for index in range(count)]
    refs = ["w8_nodes:wait"] * count
    inputs = [{"x": b"0"}] * count
    started = time.perf_counter()
    futures = client.map(
        _task_async, refs, inputs, [key.encode() for key in keys], key=keys, pure=False
    )
    await client.gather(futures)
    return time.perf_counter() - started


async def measure(repetitions: int) -> dict[str, dict[str, float]]:
    """Median seconds per workload and placement, runs interleaved."""
    placed_crunch = dataclasses.replace(w8_nodes.crunch, executor="dask")
    io, cpu, noop = fan(w8_nodes.wait, 200, "io"), fan(w8_nodes.crunch, 8, "cpu"), chain(50)
    workloads: dict[str, tuple[Graph[object], dict[str, int]]] = {
        "io": (io, {"x": 0, "count": 200}),
        "cpu": (cpu, {"x": 0, "count": 8}),
        "mixed": (mixed(w8_nodes.crunch), {"x": 0, "io": 200, "cpu": 8}),
        "chain": (noop, {"x": 0}),
    }
    placed_graph: Graph[object] = mixed(placed_crunch)
    hook = chain(1000)
    times: dict[str, dict[str, list[float]]] = {}
    async with DaskExecutor("local", workers=2, threads=1) as dask:
        local, remote = RunOptions(), RunOptions(executor=dask)
        for graph, inputs in workloads.values():  # warm up: imports on the workers
            await timed(graph, inputs, remote)
        for _ in range(repetitions):
            for name, (graph, inputs) in workloads.items():
                times.setdefault(name, {}).setdefault("local", []).append(
                    await timed(graph, inputs, local)
                )
                times[name].setdefault("dask", []).append(await timed(graph, inputs, remote))
            placed = RunOptions(executors={"dask": dask})
            inputs = workloads["mixed"][1]
            times["mixed"].setdefault("placed", []).append(
                await timed(placed_graph, inputs, placed)
            )
            times.setdefault("hook", {}).setdefault("local", []).append(
                await timed(hook, {"x": 0}, local, listen=True)
            )
            times["io"].setdefault("floor", []).append(await floor(dask, 200))
    return {
        name: {where: statistics.median(values) for where, values in row.items()}
        for name, row in times.items()
    }


def report(medians: dict[str, dict[str, float]], load: tuple[float, float]) -> list[str]:
    io, cpu, mix, noop = (medians[name] for name in ("io", "cpu", "mixed", "chain"))
    per_attempt = (io["dask"] - io["local"]) / 200 * 1e3
    lines = [
        "W8  Dask LocalCluster (2 worker processes x 1 thread) vs the local executor, medians"
        f"  (load average {load[0]:.2f} before, {load[1]:.2f} after, {os.cpu_count()} cores)",
        f"  io    200 x 100 ms async   local {io['local']:.3f} s   dask {io['dask']:.3f} s"
        f"   dask/local {io['dask'] / io['local']:.2f}x   (target: within 1.30x)",
        f"        Dask alone (one map, one gather, no plait) {io['floor']:.3f} s"
        f" = {io['floor'] / io['local']:.2f}x local; plait on dask adds"
        f" {(io['dask'] - io['floor']) / 200 * 1e3:.2f} ms per attempt to it,"
        f" {per_attempt:.2f} ms over local",
        f"  cpu   8 x ~0.5 s Python    local {cpu['local']:.3f} s   dask {cpu['dask']:.3f} s"
        f"   speed-up {cpu['local'] / cpu['dask']:.2f}x   (target: >= 1.70x on 2 cores)",
        f"  mixed io + cpu, one run    local {mix['local']:.3f} s   dask {mix['dask']:.3f} s"
        f"   cpu pool on dask {mix['placed']:.3f} s   speed-up {mix['local'] / mix['placed']:.2f}x",
        f"  overhead per attempt (50-node chain of no-ops): local"
        f" {noop['local'] / 50 * 1e6:.0f} us   dask {noop['dask'] / 50 * 1e3:.2f} ms",
        "  local hook, 1000-node chain with a listener:"
        f" {medians['hook']['local'] / 1000 * 1e6:.1f} us per node",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--json", default=None, help="also write the medians here")
    args = parser.parse_args()
    before = os.getloadavg()[0]
    medians = anyio.run(measure, args.repetitions)
    print("\n".join(report(medians, (before, os.getloadavg()[0]))))
    if args.json:
        with open(args.json, "w") as file:
            json.dump(medians, file, indent=2)


if __name__ == "__main__":
    main()
