"""What a run returns: status, output, and per-node outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar, cast

from plait.engine._events import RunStatus
from plait.nodes import JournalEntry, RunError, Usage, UsageTotal, journal_usage, top_level_node

__all__ = ["NodeOutcome", "NodeStatus", "RunResult"]

OutputT_co = TypeVar("OutputT_co", covariant=True)


class NodeStatus(StrEnum):
    """Where a node ended up in a run."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    WAITING = "waiting"


@dataclass(frozen=True, slots=True)
class NodeOutcome:
    """One node's part in a run."""

    status: NodeStatus
    attempts: int
    output: object = None
    error: BaseException | None = None
    usage: Usage = field(default=Usage())
    """The tokens of the node's model calls (those inside it too), each counted once
    however many attempts or resumed runs replayed it."""
    cost: float | None = 0.0
    """What those calls cost in US dollars; ``None`` when a model has no price."""
    cached: bool = False
    """The output came from the result cache: the node did not run."""


PerNode = tuple[
    Sequence["NodeStatus"], Sequence[int], Sequence[object], Mapping[int, BaseException]
]
"""Statuses, attempt counts and values by step index, and errors of the failed steps."""


class RunResult(Generic[OutputT_co]):
    """The end of a run. ``output`` is there only when ``status`` is ``succeeded``."""

    __slots__ = (
        "_cached",
        "_calls",
        "_node_ids",
        "_nodes",
        "_output",
        "_per_node",
        "_spent",
        "error",
        "graph",
        "run_id",
        "status",
    )

    def __init__(
        self,
        *,
        run_id: str,
        graph: str,
        status: RunStatus,
        output: object,
        error: RunError | None,
        node_ids: Sequence[str],
        per_node: tuple[
            Sequence[NodeStatus], Sequence[int], Sequence[object], Mapping[int, BaseException]
        ],
        calls: Sequence[JournalEntry] = (),
        cached: frozenset[int] = frozenset(),
    ) -> None:
        self.run_id = run_id
        self.graph = graph
        self.status = status
        self.error = error
        self._output = output
        self._node_ids = node_ids
        self._per_node = per_node
        self._nodes: Mapping[str, NodeOutcome] | None = None
        self._calls = calls
        self._cached = cached
        self._spent: dict[str, UsageTotal] | None = None

    @property
    def ok(self) -> bool:
        """Whether the run succeeded."""
        return self.status is RunStatus.SUCCEEDED

    @property
    def output(self) -> OutputT_co:
        """The graph's output.

        Raises:
            RunError: the run's error, when it did not succeed.
        """
        if self.error is not None:
            raise self.error
        return cast(OutputT_co, self._output)

    @property
    def nodes(self) -> Mapping[str, NodeOutcome]:
        """Each node's status, attempts, output, error, usage and cost, by node id."""
        if self._nodes is None:
            statuses, attempts, values, errors = self._per_node
            spent = self._by_node()
            self._nodes = {
                node_id: NodeOutcome(
                    statuses[index],
                    attempts[index],
                    values[index] if statuses[index] is NodeStatus.SUCCEEDED else None,
                    errors.get(index),
                    spent.get(node_id, UsageTotal()).usage,
                    spent.get(node_id, UsageTotal()).cost,
                    index in self._cached,
                )
                for index, node_id in enumerate(self._node_ids)
            }
        return self._nodes

    @property
    def usage(self) -> Usage:
        """The tokens of every model call of the run, the calls of its earlier attempts
        and of the runs it resumes included, each once."""
        return sum(self._by_node().values(), UsageTotal()).usage

    @property
    def cost(self) -> float | None:
        """What the run's model calls cost in US dollars; ``None`` when a model has no
        price (give it one: ``pricing`` in ``plait.yaml``)."""
        return sum(self._by_node().values(), UsageTotal()).cost

    def _by_node(self) -> dict[str, UsageTotal]:
        if self._spent is None:
            self._spent = {}
            for path, total in journal_usage(self._calls).items():
                node = top_level_node(path)
                self._spent[node] = self._spent.get(node, UsageTotal()) + total
        return self._spent

    def raise_for_status(self) -> None:
        """Raise the run's error if it did not succeed.

        Raises:
            RunError: when the run failed or was cancelled.
        """
        if self.error is not None:
            raise self.error

    def __repr__(self) -> str:
        return f"<RunResult {self.run_id} graph={self.graph!r} status={self.status.value}>"
