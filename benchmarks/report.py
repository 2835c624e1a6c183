"""Printing: the versions header, the results table, notes, and the JSON file."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path

from harness import Outcome, Record

__all__ = ["header", "rows", "table_head", "write_json"]

_COLUMNS = (
    ("workload", "<", 12),
    ("engine", "<", 14),
    ("n", ">", 6),
    ("median ms", ">", 10),
    ("µs/node", ">", 9),
    ("x floor", ">", 8),
    ("peak RSS MB", ">", 11),
    ("target", "<", 15),
    ("plait", "<", 5),
)


def _line(cells: Sequence[str]) -> str:
    return "  ".join(
        f"{cell:{align}{width}}" for cell, (_, align, width) in zip(cells, _COLUMNS, strict=True)
    ).rstrip()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def header(langgraph: bool, pydantic_graph: bool) -> list[str]:
    """The environment the numbers come from, plus a line per other engine skipped."""
    lines = [
        f"python {platform.python_version()} ({platform.python_implementation()}), "
        f"anyio {_version('anyio')}, plait {_version('plait')}, "
        f"langgraph {_version('langgraph') if langgraph else 'not installed'}, "
        f"pydantic-graph {_version('pydantic-graph') if pydantic_graph else 'not installed'}, "
        f"networkx {_version('networkx')}, cpu_count {os.cpu_count()}"
    ]
    for name, present in (("langgraph", langgraph), ("pydantic-graph", pydantic_graph)):
        if not present:
            lines.append(f"{name} skipped: not importable (install it: pip install -e '.[bench]')")
    lines.append(
        "peak RSS MB: this process (every engine loaded); fresh_peak_rss_mb: a fresh process "
        "running only that engine's W1"
    )
    return lines


def table_head() -> list[str]:
    """The column titles and a rule under them."""
    head = _line([title for title, _, _ in _COLUMNS])
    return [head, "-" * len(head)]


def rows(outcome: Outcome) -> list[str]:
    """One table line per engine, the target verdict on plait's, then any notes."""
    floor = _floor(outcome.records)
    lines: list[str] = []
    prepared: list[str] = []
    extras: list[str] = []
    for record in outcome.records:
        target = verdict = ""
        if record.engine == "plait":
            target = outcome.target.text
            verdict = "PASS" if outcome.target.met(record, floor) else "MISS"
        lines.append(
            _line(
                [
                    f"{outcome.name} {outcome.title}",
                    record.engine,
                    str(record.n),
                    f"{record.median_s * 1e3:.3f}",
                    f"{record.per_node_us:.2f}",
                    f"{record.median_s / floor.median_s:.2f}",
                    f"{record.peak_rss_mb:.1f}",
                    target,
                    verdict,
                ]
            )
        )
        if record.prepare_s is not None:
            prepared.append(f"{record.engine} {record.prepare_s * 1e3:.1f} ms")
        extras.extend(f"{record.engine} {key}={value:g}" for key, value in record.extra.items())
    if prepared:
        lines.append(f"{'':14}untimed definition before each timed step: " + ", ".join(prepared))
    if extras:
        lines.append(f"{'':14}" + ", ".join(extras))
    return lines


def _floor(records: Iterable[Record]) -> Record:
    for record in records:
        if record.engine == "floor":
            return record
    raise ValueError("every workload needs a floor record")


def write_json(path: Path, outcomes: Iterable[Outcome]) -> None:
    """Write every record as a JSON list."""
    records = [record.to_json() for outcome in outcomes for record in outcome.records]
    path.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
