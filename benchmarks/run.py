"""Benchmark plait against a bare-anyio floor (and LangGraph, pydantic-graph when installed).

Usage: ``python benchmarks/run.py [--quick] [--json FILE] [--only W1,W3] [--scale FLOAT]``.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Sequence
from pathlib import Path

import anyio
import rivals
from harness import BenchmarkError, Outcome, Settings, measure
from report import header, rows, table_head, write_json
from workloads import SPECS, Spec

__all__ = ["main"]

FULL = Settings(repetitions=15, warmups=2)
QUICK = Settings(repetitions=5, warmups=1)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line's options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 repetitions after 1 warm-up")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the records here")
    parser.add_argument("--only", metavar="W1,W3", help="run only these workloads")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every workload's n")
    options = parser.parse_args(argv)
    if options.scale <= 0:
        parser.error("--scale must be positive")
    known = [spec.name for spec in SPECS]
    if options.only is not None:
        by_upper = {name.upper(): name for name in known}
        asked = [name.strip().upper() for name in options.only.split(",") if name.strip()]
        unknown = [name for name in asked if name not in by_upper]
        if unknown or not asked:
            parser.error(f"--only takes some of {','.join(known)}, got {options.only!r}")
        options.only = [by_upper[name] for name in asked]
    return options


async def run_all(
    specs: Sequence[Spec], scale: float, settings: Settings, langgraph: bool
) -> list[Outcome]:
    """Run the workloads one after another, printing each one's rows as it ends."""
    outcomes = []
    for line in table_head():
        print(line, flush=True)
    for spec in specs:
        workload = spec.make(max(2, round(spec.n * scale)), langgraph)
        outcome = await measure(workload, settings)
        del workload
        for line in rows(outcome):
            print(line, flush=True)
        outcomes.append(outcome)
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; 1 when an engine computed a wrong answer."""
    options = parse(argv)
    langgraph = rivals.installed("langgraph")
    settings = QUICK if options.quick else FULL
    specs = [spec for spec in SPECS if options.only is None or spec.name in options.only]
    for line in header(langgraph, rivals.installed("pydantic_graph")):
        print(line)
    print(f"{settings.repetitions} repetitions after {settings.warmups} warm-up(s), medians")
    call = functools.partial(run_all, specs, options.scale, settings, langgraph)
    try:
        outcomes = anyio.run(call, backend="asyncio")
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if options.json is not None:
        write_json(options.json, outcomes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
