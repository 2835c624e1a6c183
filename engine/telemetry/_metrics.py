"""Run metrics: node counts and durations, runs, LLM tokens and cost, as OTel instruments.

The instruments come from a ``Meter`` the OpenTelemetry listener hands over; this module
imports no OpenTelemetry package itself. Node attributes carry the node's path with item
and turn indexes removed (``each/summarise``, never ``each[41]/summarise``), so a map of
10,000 items makes one series, not 10,000. A node's attempts are counted by its duration
histogram (``plait.node.duration``, by outcome): one instrument call per attempt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter

__all__ = ["RunMetrics", "node_id_of"]

_INDEX = re.compile(r"\[\d+\]")


def node_id_of(path: str) -> str:
    """``each[3]/inner`` -> ``each/inner``: the node a path's executions share."""
    return _INDEX.sub("", path) if "[" in path else path


class RunMetrics:
    """The instruments a run's events feed."""

    def __init__(self, meter: Meter) -> None:
        self.node_duration = meter.create_histogram(
            "plait.node.duration",
            unit="s",
            description="Duration of node attempts, by outcome (its count counts them)",
        )
        self.runs = meter.create_counter("plait.runs", unit="{run}", description="Finished runs")
        self.run_duration = meter.create_histogram(
            "plait.run.duration", unit="s", description="Duration of runs"
        )
        self.tokens = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Tokens used per LLM call"
        )
        self.cost = meter.create_counter(
            "plait.llm.cost", unit="USD", description="What LLM calls cost, when priced"
        )
        self._ids: dict[str, dict[str, str]] = {}
        self._calls: dict[tuple[str, ...], tuple[dict[str, str], dict[str, str]]] = {}

    def _node(self, path: str, status: str) -> dict[str, str]:
        key = f"{status}\0{path}"
        found = self._ids.get(key)
        if found is None:
            found = {"plait.node": node_id_of(path), "plait.node.status": status}
            if len(self._ids) < 10_000:  # bounded: a map's paths all share one id anyway
                self._ids[key] = found
        return found

    def attempt(self, path: str, status: str, duration: float) -> None:
        """One node attempt ended with ``status`` (succeeded, failed, retried, cancelled)."""
        self.node_duration.record(duration, self._node(path, status))

    def run(self, graph: str, status: str, duration: float) -> None:
        """A run ended."""
        attributes = {"plait.graph": graph, "plait.run.status": status}
        self.runs.add(1, attributes)
        self.run_duration.record(duration, attributes)

    def llm_call(self, call: Mapping[str, str], usage: Mapping[str, object]) -> None:
        """One LLM call: ``call`` holds its gen_ai attributes, ``usage`` its report (its
        duration is its span's: a histogram of it would cost as much again)."""
        key = tuple(call.values())
        kinds = self._calls.get(key)
        if kinds is None:  # one attribute set per model and kind, made once
            typed = "gen_ai.token.type"
            kinds = ({**call, typed: "input"}, {**call, typed: "output"})
            if len(self._calls) < 1000:
                self._calls[key] = kinds
        for attributes, field in zip(kinds, ("input_tokens", "output_tokens"), strict=True):
            count = usage.get(field)
            if isinstance(count, int) and not isinstance(count, bool):
                self.tokens.record(count, attributes)
        cost = usage.get("cost")
        if isinstance(cost, int | float) and not isinstance(cost, bool):
            self.cost.add(float(cost), call)
