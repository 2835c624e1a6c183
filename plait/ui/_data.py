"""What the viewer shows of stored runs: pages of the runs list, and one run's summary.

Everything here reads the store through its protocol (``list_runs`` and ``load``) and
returns plain values; escaping is the templates' job. Tokens and cost come from the
effect journal: each ``llm`` entry's response holds the call's usage and model.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plait.engine import JournalRecord, RunRecord, Store, StoredRun

__all__ = [
    "PAGE_SIZE",
    "TERMINAL",
    "RunRow",
    "RunsPage",
    "Usage",
    "node_statuses",
    "run_row",
    "runs_page",
    "served_from_cache",
    "usage_of",
]

PAGE_SIZE = 50
TERMINAL = frozenset({"succeeded", "failed", "cancelled", "waiting", "interrupted"})
"""Statuses after which a run's page stops listening for changes (an ``interrupted`` run's
process is gone: nothing will change it until someone resumes it)."""


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens and, when every model's price is known, cost in US dollars."""

    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0
    cost: float | None = 0.0

    @property
    def tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def plus(self, other: Usage) -> Usage:
        """The sum of both; the cost is unknown when either is."""
        cost = None if self.cost is None or other.cost is None else self.cost + other.cost
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.calls + other.calls,
            cost,
        )


def _price(model: str, input_tokens: int, output_tokens: int, cached: int) -> float | None:
    from plait.nodes import PRICING
    from plait.nodes import Usage as CallUsage

    name = model.split("?")[0]
    if name in ("", "passthrough", "playback", "scripted") or name.startswith("scripted"):
        return 0.0
    pricing = PRICING.get(name) or next(
        (price for key, price in PRICING.items() if key.partition(".")[2] == name), None
    )
    if pricing is None:
        return None
    return pricing.cost(CallUsage(input_tokens, output_tokens, cache_read_tokens=cached))


def _count(data: Mapping[str, object], key: str) -> int:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def call_usage(record: JournalRecord) -> Usage | None:
    """The usage of one journaled LLM call; None for a tool call or an unreadable reply."""
    if record.kind != "llm":
        return None
    try:
        reply = json.loads(record.response)
    except ValueError:
        return None
    usage = reply.get("usage") if isinstance(reply, dict) else None
    if not isinstance(usage, dict):
        return None
    model = reply.get("model")
    inputs, outputs = _count(usage, "input_tokens"), _count(usage, "output_tokens")
    cost = _price(str(model or ""), inputs, outputs, _count(usage, "cache_read_tokens"))
    return Usage(inputs, outputs, 1, cost)


def usage_of(journal: Sequence[JournalRecord], node: str | None = None) -> Usage:
    """The summed usage of the journal's LLM calls (of ``node`` and the nodes inside it)."""
    total = Usage()
    for record in journal:
        if node is not None and record.node != node and not record.node.startswith(node + "/"):
            continue
        found = call_usage(record)
        if found is not None:
            total = total.plus(found)
    return total


def node_ids(canonical: str) -> list[str]:
    """The top-level node ids of a stored graph description (empty when unreadable)."""
    try:
        described = json.loads(canonical)
    except ValueError:
        return []
    nodes = described.get("nodes") if isinstance(described, dict) else None
    if not isinstance(nodes, list):
        return []
    return [str(item["id"]) for item in nodes if isinstance(item, dict) and "id" in item]


def served_from_cache(run: RunRecord, attempt: int) -> bool:
    """Whether an output committed with ``attempt`` came from the result cache.

    A cache hit is committed as attempt 0 and an executed node from attempt 1; a fork's
    copies of its parent's outputs are attempt 0 too, so in a forked run (``parent_run``)
    attempt 0 is ambiguous and is not claimed as a hit (that needs a flag in the record).
    """
    return attempt == 0 and run.parent_run is None


def node_statuses(stored: StoredRun, ids: Sequence[str]) -> dict[str, str]:
    """Each node's status, as ``plait render RUN_ID`` colours it: a committed output is
    ``succeeded`` (``cached`` when it came from the result cache), a failure without one
    ``failed``, an open question ``waiting``, the rest ``skipped`` in a succeeded run and
    ``pending`` otherwise."""
    failed = {failure.node for failure in stored.failures}
    waiting = {item.node for item in stored.interrupts if item.answer is None}
    unrun = "skipped" if stored.run.status.value == "succeeded" else "pending"
    statuses: dict[str, str] = {}
    for node in ids:
        if node in stored.outputs:
            cached = served_from_cache(stored.run, stored.outputs[node].attempt)
            statuses[node] = "cached" if cached else "succeeded"
        elif node in waiting:
            statuses[node] = "waiting"
        elif node in failed:
            statuses[node] = "failed"
        else:
            statuses[node] = unrun
    return statuses


def duration(record: RunRecord) -> float | None:
    """Start to last change; None while the run goes."""
    if record.status.value == "running":
        return None
    return max(0.0, record.updated_at - record.created_at)


@dataclass(frozen=True, slots=True)
class RunRow:
    """One line of the runs list."""

    record: RunRecord
    usage: Usage
    done: int
    total: int
    problem: str | None = None
    status: str = ""
    """As shown: the stored status, or ``interrupted`` for a dead ``running`` run."""
    """Why the run's records could not be read, if they could not."""

    @property
    def duration(self) -> float | None:
        return duration(self.record)


async def run_row(store: Store, record: RunRecord, status: str | None = None) -> RunRow:
    """The row of ``record`` shown as ``status`` (its stored one when None): its usage
    and progress, from one ``load``."""
    from plait.engine import StoreError

    total = len(node_ids(record.canonical))
    shown = status or record.status.value
    try:
        stored = await store.load(record.run_id)
    except StoreError as error:
        return RunRow(record, Usage(), 0, total, str(error), shown)
    if stored is None:
        return RunRow(record, Usage(), 0, total, status=shown)
    done = sum("/" not in name for name in stored.outputs)  # not items or inner nodes
    return RunRow(record, usage_of(stored.journal), done, total, status=shown)


@dataclass(frozen=True, slots=True)
class RunsPage:
    """One page of the runs list, with what the filters can offer."""

    rows: Sequence[RunRow]
    page: int
    pages: int
    matched: int
    graphs: Sequence[str] = field(default_factory=tuple)


async def runs_page(
    store: Store,
    *,
    status: str | None = None,
    graph: str | None = None,
    search: str | None = None,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> RunsPage:
    """The runs matching the filters, newest first, cut into pages of ``size``;
    ``search`` matches a part of the run id (or of its parent's). A ``running`` run
    whose process is gone is shown, and filtered, as ``interrupted``."""
    from plait.engine import shown_statuses

    records = await store.list_runs(sys.maxsize)
    shown = await shown_statuses(store, records)
    needle = (search or "").strip().lower()
    chosen = [
        record
        for record in records
        if (not status or shown[record.run_id] == status)
        and (not graph or record.graph == graph)
        and (not needle or needle in record.run_id.lower() or needle in (record.parent_run or ""))
    ]
    pages = max(1, math.ceil(len(chosen) / size))
    page = min(max(1, page), pages)
    cut = chosen[(page - 1) * size : page * size]
    rows = [await run_row(store, record, shown[record.run_id]) for record in cut]
    graphs = sorted({record.graph for record in records})
    return RunsPage(rows, page, pages, len(chosen), graphs)
