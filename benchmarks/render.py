"""How long diagrams of a large graph take: DOT and Mermaid text of a 1,000-node graph.

Usage: ``python benchmarks/render.py [--nodes N] [--repetitions R]``. Prints the median time
of ``to_dot`` and ``to_mermaid`` (text only: Graphviz's own layout is not plait's to
measure) and exits 1 when ``to_dot`` is over its 1-second budget.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from plait import Graph, GraphBuilder
from plait.nodes import to_node
from plait.visual import to_dot, to_mermaid

__all__ = ["large_graph", "main"]

BUDGET_SECONDS = 1.0


def step(value: int) -> int:
    """One link of a chain."""
    return value + 1


def large_graph(size: int, chains: int = 10) -> Graph[object]:
    """``size`` nodes: a root, ``chains`` parallel chains of functions, and a join."""
    builder = GraphBuilder("large", inputs={"seed": int})
    root = builder.add(to_node(step, id="root"), inputs={"value": "inputs.seed"})
    links = size - 2
    ends: dict[str, str] = {}
    for chain in range(chains):
        previous = root.id
        for index in range(links // chains + (1 if chain < links % chains else 0)):
            previous = builder.add(
                to_node(step, id=f"c{chain}_{index}"), inputs={"value": previous}
            ).id
        ends[f"chain{chain}"] = previous
    return builder.build(builder.join("gather", inputs=ends))


def median_seconds(work: Callable[[], object], repetitions: int) -> float:
    """The median wall time of ``work`` over ``repetitions`` runs, after one warm-up."""
    work()
    times: list[float] = []
    for _ in range(repetitions):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    """Time the diagrams and print the figures; 1 when ``to_dot`` is over budget."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000, help="graph size (default 1000)")
    parser.add_argument("--repetitions", type=int, default=5, help="timed runs (default 5)")
    options = parser.parse_args(argv)
    if options.nodes < 12 or options.repetitions < 1:
        parser.error("--nodes must be at least 12 and --repetitions at least 1")
    graph = large_graph(options.nodes)
    dot = median_seconds(lambda: to_dot(graph), options.repetitions)
    mermaid = median_seconds(lambda: to_mermaid(graph), options.repetitions)
    size = f"{len(graph.nodes):,} nodes, {len(graph.edges):,} edges"
    print(f"to_dot      {size}: {dot:.3f} s (median of {options.repetitions})")
    print(f"to_mermaid  {size}: {mermaid:.3f} s (median of {options.repetitions})")
    if dot > BUDGET_SECONDS:
        print(f"to_dot is over its {BUDGET_SECONDS:g} s budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
