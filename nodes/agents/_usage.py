"""Tokens and cost of a run's model calls, read from its effect journal.

The journal holds each answered model call once, however many attempts and runs replayed
it, with the provider's usage, the model and the cost priced when the call was made
(``docs/adr-014-usage-and-cost.md``): the one source of a node's and a run's totals.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from plait.nodes.agents._journal import JournalEntry
from plait.nodes.llm._messages import Usage

__all__ = ["UsageTotal", "journal_usage", "top_level_node"]


@dataclass(frozen=True, slots=True)
class UsageTotal:
    """The tokens and cost of some model calls (one node's, or a whole run's)."""

    usage: Usage = field(default_factory=Usage)
    cost: float | None = 0.0
    """US dollars; ``None`` when a call's model has no price."""
    calls: int = 0

    def __add__(self, other: UsageTotal) -> UsageTotal:
        cost = None if self.cost is None or other.cost is None else self.cost + other.cost
        return UsageTotal(self.usage + other.usage, cost, self.calls + other.calls)

    def to_dict(self) -> dict[str, object]:
        """Calls, token counts and cost as plain JSON data."""
        return {"calls": self.calls, **self.usage.to_dict(), "cost": self.cost}


def top_level_node(path: str) -> str:
    """The top-level node a node path is in (``fan[2]/ask`` is in ``fan``)."""
    return path.split("/", 1)[0].split("[", 1)[0]


def journal_usage(entries: Iterable[JournalEntry]) -> dict[str, UsageTotal]:
    """The usage of the journaled model calls, by node path (sorted).

    Raises:
        ValueError: when a model call's response is not the JSON the journal writes.
    """
    found: dict[str, UsageTotal] = {}
    for entry in entries:
        if entry.kind != "llm":
            continue
        call = _call(entry.response, f"call {entry.index} of node `{entry.node}`")
        found[entry.node] = found.get(entry.node, UsageTotal()) + call
    return dict(sorted(found.items()))


def _call(response: bytes, where: str) -> UsageTotal:
    try:
        data = json.loads(response)
    except ValueError as error:
        raise ValueError(f"{where}: the journaled response is not JSON ({error})") from None
    counts = data.get("usage") if isinstance(data, Mapping) else None
    if not isinstance(counts, Mapping):
        raise ValueError(f"{where}: the journaled response has no usage")
    try:
        usage = Usage(**{str(key): int(value) for key, value in counts.items()})
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: the journaled usage is unreadable ({error})") from None
    cost = data.get("cost")
    priced = float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None
    return UsageTotal(usage, priced, 1)
