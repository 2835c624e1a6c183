"""What a run returns: status, output, and per-node outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar, cast

from plait.engine._events import RunStatus
from plait.nodes import RunError

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


PerNode = tuple[
    Sequence["NodeStatus"], Sequence[int], Sequence[object], Mapping[int, BaseException]
]
"""Statuses, attempt counts and values by step index, and errors of the failed steps."""


class RunResult(Generic[OutputT_co]):
    """The end of a run. ``output`` is there only when ``status`` is ``succeeded``."""

    __slots__ = (
        "_node_ids",
        "_nodes",
        "_output",
        "_per_node",
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
    ) -> None:
        self.run_id = run_id
        self.graph = graph
        self.status = status
        self.error = error
        self._output = output
        self._node_ids = node_ids
        self._per_node = per_node
        self._nodes: Mapping[str, NodeOutcome] | None = None

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
        """Each node's status, attempts, output and error, by node id."""
        if self._nodes is None:
            statuses, attempts, values, errors = self._per_node
            self._nodes = {
                node_id: NodeOutcome(
                    statuses[index],
                    attempts[index],
                    values[index] if statuses[index] is NodeStatus.SUCCEEDED else None,
                    errors.get(index),
                )
                for index, node_id in enumerate(self._node_ids)
            }
        return self._nodes

    def raise_for_status(self) -> None:
        """Raise the run's error if it did not succeed.

        Raises:
            RunError: when the run failed or was cancelled.
        """
        if self.error is not None:
            raise self.error

    def __repr__(self) -> str:
        return f"<RunResult {self.run_id} graph={self.graph!r} status={self.status.value}>"
