"""Where a node attempt runs: the ``Executor`` protocol, one attempt, and executor errors.

The scheduler stays in the driver: it decides when a node runs, retries it, times it out,
commits its output and emits its events. An executor only runs one attempt of a function
node and hands back its value (or raises its error).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from plait.nodes import FunctionNode, PlaitError, Problem

__all__ = [
    "Attempt",
    "Executor",
    "ExecutorError",
    "RemoteImportError",
    "RemoteNodeError",
    "SchedulerUnreachableError",
    "WorkerLostError",
]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt of one function node in one run."""

    run_id: str
    node: str
    """The node's path in the run (``summarise``, ``chapters[3]/count``)."""
    number: int
    """1 for the first attempt, 2 for the first retry, ..."""
    function: FunctionNode[object]
    inputs: Mapping[str, object]

    @property
    def key(self) -> str:
        """A key naming this attempt and no other: ``plait.FUNCTION-RUN-NODE-ATTEMPT``.

        Dask groups tasks by the key's first word, so each node function gets its own
        group and the cluster learns how long that function takes (and spreads it).
        """
        function = str(getattr(self.function.fn, "__qualname__", self.function.id))
        function = function.replace("-", "_")
        return f"plait.{function}-{self.run_id}-{self.node}-{self.number}"


class Executor(Protocol):
    """Runs node attempts somewhere: in this process, or on a cluster."""

    @property
    def name(self) -> str:
        """What error messages call it (``local``, ``dask://127.0.0.1:8786``)."""
        ...

    def check(self, node: FunctionNode[object], path: str) -> list[Problem]:
        """What stops ``node`` (at ``path``) from running here; checked before a run starts."""
        ...

    async def execute(self, attempt: Attempt) -> object:
        """Run ``attempt`` and return the node's value; raise what the attempt raised."""
        ...


class ExecutorError(PlaitError):
    """An executor could not run an attempt (its own failure, not the node's)."""


class SchedulerUnreachableError(ExecutorError):
    """The cluster's scheduler did not answer; nothing has run."""


class WorkerLostError(ExecutorError):
    """The workers running an attempt died, more times than the cluster allows."""


class RemoteImportError(ExecutorError):
    """A worker could not import the module of the node it was given."""

    def __init__(self, node: str, module: str, worker: str, reason: str) -> None:
        self.node = node
        self.module = module
        self.worker = worker
        super().__init__(
            f"node `{node}`: worker {worker} cannot import module `{module}` ({reason});"
            f" install the same code on every worker (pip install it there, or put it on"
            f" the worker's PYTHONPATH)"
        )


class RemoteNodeError(ExecutorError):
    """A node's own code raised on a worker; the error's class travels as its name only.

    The original class is never rebuilt from the wire (that would import a name taken
    from data): ``type_name`` says what it was.
    """

    def __init__(self, node: str, type_name: str, message: str, worker: str) -> None:
        self.node = node
        self.type_name = type_name
        self.worker = worker
        super().__init__(f"{type_name}: {message} (node `{node}` on worker {worker})")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.node, self.type_name, str(self), self.worker))
