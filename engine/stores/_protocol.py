"""Checkpoint stores: one small protocol; memory, SQLite and PostgreSQL implement it.

A store keeps bytes and small facts. It never decodes an output: the engine encodes each
value with msgspec against its declared type before ``put_output`` and decodes it after
``outputs``. Every stored output carries a SHA-256 of its bytes, checked on every read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from plait.nodes import PlaitError

__all__ = [
    "SCHEMA_VERSION",
    "CorruptRecordError",
    "FailureRecord",
    "InterruptRecord",
    "OutputRecord",
    "RunLockedError",
    "RunRecord",
    "Store",
    "StoreError",
    "StoredStatus",
]

SCHEMA_VERSION = 1
"""The layout every store writes; a store refuses to open a newer one and migrates older
ones only by an explicit ``migrate()``."""


class StoredStatus(StrEnum):
    """A stored run's status."""

    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class StoreError(PlaitError):
    """A store could not do what was asked (bad URL, schema too new, I/O failure)."""


class CorruptRecordError(StoreError):
    """A stored record fails its checksum or cannot be decoded; names the run and node."""

    def __init__(self, run_id: str, node: str, reason: str) -> None:
        self.run_id = run_id
        self.node = node
        super().__init__(f"run {run_id}: the stored output of node `{node}` is corrupt: {reason}")


class RunLockedError(StoreError):
    """Another process holds the run's lease."""

    def __init__(self, run_id: str, owner: str, expires_in: float) -> None:
        self.run_id = run_id
        self.owner = owner
        super().__init__(
            f"run {run_id} is locked by {owner} (its lease expires in {expires_in:.0f} s); "
            "wait for it to finish, or for the lease to expire if that process died"
        )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run: what ran, on what, and where it stands."""

    run_id: str
    graph: str
    content_hash: str
    canonical: str
    """The graph's canonical description as JSON, to say what changed on resume."""
    inputs: bytes
    """The run's inputs, JSON-encoded."""
    status: StoredStatus
    created_at: float
    updated_at: float
    error: str | None = None
    parent_run: str | None = None
    """The run this one was forked from."""


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """A committed node output: the value's bytes, exactly as the engine encoded them."""

    run_id: str
    node: str
    """The node's path (``outer/inner/node``)."""
    attempt: int
    data: bytes
    checksum: str
    """SHA-256 hex of ``data``, verified by the store on every read."""
    created_at: float


@dataclass(frozen=True, slots=True)
class InterruptRecord:
    """A node waiting for an answer: the question, the answer's schema, and the answer."""

    run_id: str
    node: str
    key: str
    """Stable within the node, so a resumed node finds its own earlier question."""
    question: str
    schema: str
    """The JSON Schema of the expected answer."""
    answer: bytes | None
    created_at: float


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """A failed attempt of a node."""

    run_id: str
    node: str
    attempt: int
    error_type: str
    message: str
    created_at: float


@runtime_checkable
class Store(Protocol):
    """Where runs are checkpointed. All methods are safe to call from one event loop."""

    async def open(self) -> None:
        """Connect and create or check the schema.

        Raises:
            StoreError: when the stored schema is newer than ``SCHEMA_VERSION``.
        """
        ...

    async def close(self) -> None:
        """Release connections; the store can be opened again."""
        ...

    async def create_run(self, record: RunRecord) -> None:
        """Record a new run.

        Raises:
            StoreError: when the run id already exists.
        """
        ...

    async def set_status(
        self, run_id: str, status: StoredStatus, at: float, error: str | None = None
    ) -> None:
        """Update a run's status (and error)."""
        ...

    async def get_run(self, run_id: str) -> RunRecord | None:
        """The run, or None when there is no such run."""
        ...

    async def list_runs(self, limit: int = 50) -> Sequence[RunRecord]:
        """The most recent runs, newest first."""
        ...

    async def put_output(
        self, run_id: str, node: str, attempt: int, data: bytes, at: float
    ) -> None:
        """Commit one node's output (replacing an earlier one for the same node)."""
        ...

    async def put_outputs(self, records: Sequence[OutputRecord]) -> None:
        """Commit several outputs in one transaction (the ``async`` and ``exit`` modes)."""
        ...

    async def outputs(self, run_id: str) -> dict[str, OutputRecord]:
        """Every committed output of a run, by node path.

        Raises:
            CorruptRecordError: when a record's bytes do not match its checksum.
        """
        ...

    async def put_failure(self, record: FailureRecord) -> None:
        """Record a failed attempt."""
        ...

    async def failures(self, run_id: str) -> Sequence[FailureRecord]:
        """A run's failed attempts, oldest first."""
        ...

    async def put_interrupt(self, record: InterruptRecord) -> None:
        """Record a question (or, with ``answer`` set, its answer) for a node."""
        ...

    async def interrupts(self, run_id: str) -> Sequence[InterruptRecord]:
        """A run's interrupts, oldest first."""
        ...

    async def acquire(self, run_id: str, owner: str, ttl: float, now: float) -> None:
        """Take the run's lease for ``ttl`` seconds, or renew it if ``owner`` holds it.

        Raises:
            RunLockedError: when another owner holds an unexpired lease.
        """
        ...

    async def release(self, run_id: str, owner: str) -> None:
        """Give the lease back (no-op when ``owner`` does not hold it)."""
        ...
