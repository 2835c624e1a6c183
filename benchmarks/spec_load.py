"""How long loading a large JSON spec takes, beside W6 (compiling the same graph from Python).

Usage: ``python benchmarks/spec_load.py [--nodes N] [--repetitions R]``. Builds W6's chain of
``N`` no-op nodes (default 10,000) both ways and prints the median of each: W6's ``build()``
of a defined builder, the whole Python path (define + build), and ``plait.load`` of the
spec's JSON text (parse, check, validate the format, look names up, define, compile), with
the spec stages on their own. Exits 1 when loading is over its 1-second budget, or when the
loaded graph differs from the Python one (content hash).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from workloads_plait import NOOP, define_chain

from plait import GraphBuilder, NodeRef, Registry, SpecLimits, dump, load
from plait.graphs.spec._parse import parse_document
from plait.graphs.spec._read import read_document

__all__ = ["main"]

BUDGET_SECONDS = 1.0


def median_seconds(
    work: Callable[[], object], repetitions: int, prepare: Callable[[], None] = lambda: None
) -> float:
    """The median wall time of ``work`` (after ``prepare``, untimed) over ``repetitions``."""
    times: list[float] = []
    for _ in range(repetitions + 1):  # the first is a warm-up
        prepare()
        gc.collect()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def main(argv: Sequence[str] | None = None) -> int:
    """Time both paths and print the figures; 1 when loading is over budget or differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000, help="chain length (10,000)")
    parser.add_argument("--repetitions", type=int, default=5, help="timed runs (default 5)")
    options = parser.parse_args(argv)
    if options.nodes < 2 or options.repetitions < 1:
        parser.error("--nodes must be at least 2 and --repetitions at least 1")
    size, repetitions = options.nodes, options.repetitions

    registry = Registry(functions={"noop": NOOP})
    builder, last = define_chain(size)
    python_graph = builder.build(last)
    text = dump(python_graph, registry, indent=None)
    loaded = load(text, registry)
    if loaded.content_hash != python_graph.content_hash:
        print("the loaded graph differs from the Python one", file=sys.stderr)
        return 1

    defined: list[tuple[GraphBuilder, NodeRef[int]]] = []

    def define() -> None:
        defined[:] = [define_chain(size)]

    def build() -> object:
        chain_builder, chain_last = defined.pop()
        return chain_builder.build(chain_last)

    limits = SpecLimits()
    data = json.loads(text)
    figures = [
        ("W6 build() of a defined builder", median_seconds(build, repetitions, define)),
        ("Python define + build", median_seconds(lambda: build_chain(size), repetitions)),
        (
            "spec load (text -> compiled graph)",
            median_seconds(lambda: load(text, registry), repetitions),
        ),
        (
            "  of which: parse + limits",
            median_seconds(lambda: read_document(text, limits), repetitions),
        ),
        (
            "  of which: format validation",
            median_seconds(lambda: parse_document(data, limits, "spec"), repetitions),
        ),
    ]
    print(f"{size:,}-node chain, {len(text.encode()):,} bytes of JSON, median of {repetitions}")
    for label, seconds in figures:
        print(f"  {label:<38} {seconds * 1000:8.1f} ms")
    spec_seconds = figures[2][1]
    print(
        f"  spec load / W6 build: {spec_seconds / figures[0][1]:.2f}x "
        f"(target: spec load < {BUDGET_SECONDS:g} s)"
    )
    if spec_seconds > BUDGET_SECONDS:
        print(f"loading is over its {BUDGET_SECONDS:g} s budget", file=sys.stderr)
        return 1
    return 0


def build_chain(size: int) -> object:
    """Define and build the chain: the whole Python path."""
    chain_builder, chain_last = define_chain(size)
    return chain_builder.build(chain_last)


if __name__ == "__main__":
    sys.exit(main())
