"""What a run overlay reads from a run, and the per-node facts it shows.

The overlay takes anything shaped like ``plait.engine.RunResult`` (``RunView``): visual
sits below the engine and never imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["NodeOutcomeView", "Overlay", "RunView", "format_duration", "format_tokens"]


class NodeOutcomeView(Protocol):
    """One node's part in a run, as the overlay reads it (``plait.engine.NodeOutcome``)."""

    @property
    def status(self) -> str:
        """``pending``, ``running``, ``succeeded``, ``failed``, ``cancelled``, ``skipped``.

        An outcome whose ``cached`` attribute is true (``plait.engine.NodeOutcome``) is
        drawn as ``cached``: its output came from the result cache."""
        ...

    @property
    def attempts(self) -> int:
        """How many attempts the node made."""
        ...


class RunView(Protocol):
    """A run, as the overlay reads it (``plait.engine.RunResult``)."""

    @property
    def nodes(self) -> Mapping[str, NodeOutcomeView]:
        """Each node's outcome, by node id."""
        ...


def format_duration(seconds: float) -> str:
    """``0.4 ms``, ``12 ms``, ``1.25 s``, ``2 min 5 s``: short, fixed precision."""
    if seconds < 0.001:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def format_tokens(count: int) -> str:
    """``1,234 tok``."""
    return f"{count:,} tok"


@dataclass(frozen=True, slots=True)
class Overlay:
    """The statuses, attempts, durations and tokens of one run, by node path."""

    statuses: Mapping[str, str]
    attempts: Mapping[str, int]
    durations: Mapping[str, float]
    tokens: Mapping[str, int]

    @classmethod
    def of(
        cls,
        run: RunView,
        durations: Mapping[str, float] | None = None,
        tokens: Mapping[str, int] | None = None,
    ) -> Overlay:
        """Read ``run`` once; explicit ``durations`` and ``tokens`` win over the run's own."""
        statuses: dict[str, str] = {}
        attempts: dict[str, int] = {}
        found_durations: dict[str, float] = {}
        found_tokens: dict[str, int] = {}
        for node_id, outcome in run.nodes.items():
            # A str enum's str() is its value on 3.11+; str() also accepts a plain str.
            statuses[node_id] = str(outcome.status)
            if getattr(outcome, "cached", False) is True:
                statuses[node_id] = "cached"
            attempts[node_id] = outcome.attempts
            # Outcomes may carry these once the engine records them.
            duration = getattr(outcome, "duration", None)
            if isinstance(duration, int | float) and not isinstance(duration, bool):
                found_durations[node_id] = float(duration)
            spent = getattr(outcome, "tokens", None)
            if isinstance(spent, int) and not isinstance(spent, bool):
                found_tokens[node_id] = spent
        found_durations.update(durations or {})
        found_tokens.update(tokens or {})
        return cls(statuses, attempts, found_durations, found_tokens)

    def status(self, path: str) -> str | None:
        """The node's status, or None when the run says nothing about it."""
        return self.statuses.get(path)

    def detail(self, path: str) -> str:
        """Attempts (when more than one), duration and tokens; empty when nothing is known."""
        parts: list[str] = []
        attempts = self.attempts.get(path, 0)
        if attempts > 1:
            parts.append(f"\N{MULTIPLICATION SIGN}{attempts}")
        if path in self.durations:
            parts.append(format_duration(self.durations[path]))
        if path in self.tokens:
            parts.append(format_tokens(self.tokens[path]))
        return " · ".join(parts)

    def produced(self, path: str) -> bool:
        """Whether the node's output existed for its dependents (unknown counts as yes)."""
        return self.nearest_status(path) in (None, "succeeded", "cached")

    def nearest_status(self, path: str) -> str | None:
        """The status of ``path``, or else of the nearest node it is nested in (``a/b``)."""
        while path not in self.statuses:
            if "/" not in path:
                return None
            path = path.rsplit("/", 1)[0]
        return self.statuses[path]
