"""Tokens and cost in ``plait runs``: a column per run, a table per node in ``runs show``.

Both come from the run's effect journal (each answered model call once, with the cost
priced when it was made; docs/adr-014-usage-and-cost.md). A cost that is not known (a
model without a price) shows as an en dash (``null`` in ``--json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plait.engine import StoredRun
    from plait.nodes import UsageTotal

__all__ = [
    "USAGE_HEADER",
    "UnreadableUsageError",
    "print_usage",
    "stored_usage",
    "usage_columns",
]

USAGE_HEADER = f"{'TOKENS':>9}  {'COST':>9}"
"""The headings of ``usage_columns``."""

UNKNOWN = "\N{EN DASH}"


class UnreadableUsageError(ValueError):
    """A journaled model call whose usage cannot be read."""


def stored_usage(stored: StoredRun | None) -> tuple[UsageTotal, dict[str, UsageTotal]]:
    """A stored run's usage: the total, and by top-level node.

    Raises:
        UnreadableUsageError: naming the call whose journaled response is unreadable.
    """
    from plait.nodes import UsageTotal, journal_usage, top_level_node

    by_node: dict[str, UsageTotal] = {}
    try:
        calls = journal_usage(() if stored is None else (c.entry for c in stored.journal))
    except ValueError as error:
        raise UnreadableUsageError(f"its journal is unreadable: {error}") from None
    for path, spent in calls.items():
        node = top_level_node(path)
        by_node[node] = by_node.get(node, UsageTotal()) + spent
    return sum(by_node.values(), UsageTotal()), by_node


def cost_text(cost: float | None) -> str:
    """``$0.0123``, or an en dash when unknown."""
    return UNKNOWN if cost is None else f"${cost:.4f}"


def usage_columns(spent: UsageTotal) -> str:
    """Tokens (input + output) and cost, aligned under ``USAGE_HEADER``."""
    return f"{spent.usage.total_tokens:>9,}  {cost_text(spent.cost):>9}"


def print_usage(total: UsageTotal, by_node: Mapping[str, UsageTotal]) -> None:
    """The table of ``plait runs show``: calls, tokens and cost per node, then the total
    (nothing for a run without model calls)."""
    if total.calls == 0:
        return
    width = max(len("total"), *(len(node) for node in by_node))
    print("usage:")
    heads = ("CALLS", "INPUT", "OUTPUT", "CACHED", "COST")
    print(f"  {'NODE':{width}}  " + "  ".join(f"{head:>9}" for head in heads))
    for node, spent in [*by_node.items(), ("total", total)]:
        usage = spent.usage
        counts = (spent.calls, usage.input_tokens, usage.output_tokens, usage.cache_read_tokens)
        cells = [f"{count:>9,}" for count in counts]
        print(f"  {node:{width}}  " + "  ".join([*cells, f"{cost_text(spent.cost):>9}"]))
