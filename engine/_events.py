"""The typed events every run emits, in one ordered stream."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from plait.nodes import Secrets

__all__ = [
    "Event",
    "EventListener",
    "NodeCancelled",
    "NodeFailed",
    "NodeFinished",
    "NodeReported",
    "NodeRetrying",
    "NodeRouted",
    "NodeSkipped",
    "NodeStarted",
    "NodeWaiting",
    "RunFinished",
    "RunStarted",
    "RunStatus",
]


class RunStatus(StrEnum):
    """How a run ended (or where it is)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    WAITING = "waiting"


_NO_SECRETS = Secrets()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Event:
    seq: int
    """Position in the run's event stream, from 0."""
    run_id: str
    time: float
    """The run clock's ``now()`` when the event happened."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted(_Event):
    """The run began; its inputs passed validation."""

    graph: str
    content_hash: str
    inputs: Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeStarted(_Event):
    """An attempt of a node began: it holds its concurrency slots (a node waiting for a
    slot is queued and has not started)."""

    node: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeFinished(_Event):
    """A node succeeded; ``output`` is its value. ``cached``: the value came from the
    result cache and the node did not run (``attempt`` is then 0)."""

    node: str
    attempt: int
    duration: float
    output: object
    cached: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeRetrying(_Event):
    """An attempt failed with a retryable error; the next starts after ``delay``."""

    node: str
    attempt: int
    delay: float
    error: BaseException
    secrets: Secrets = field(default=_NO_SECRETS, repr=False, compare=False)
    """The run's secrets, to mask ``error``'s text with (its message and traceback)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeFailed(_Event):
    """A node gave up after ``attempt`` attempts; ``error`` is the last one."""

    node: str
    attempt: int
    error: BaseException
    secrets: Secrets = field(default=_NO_SECRETS, repr=False, compare=False)
    """The run's secrets, to mask ``error``'s text with (its message and traceback)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeCancelled(_Event):
    """A running node was cancelled (a sibling failed, a deadline passed, or a cancel)."""

    node: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeRouted(_Event):
    """A router decided: ``labels`` it returned, ``taken`` and ``skipped`` node paths."""

    node: str
    labels: tuple[object, ...]
    taken: tuple[str, ...]
    skipped: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeReported(_Event):
    """Something a running node reported: a streamed LLM token, a tool call, ..."""

    node: str
    kind: str
    data: Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeWaiting(_Event):
    """A human node asked its question; the run will wait for the answer."""

    node: str
    question: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeSkipped(_Event):
    """A node will not run in this run, and why."""

    node: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished(_Event):
    """The run ended with ``status``; ``error`` says why when it did not succeed."""

    status: RunStatus
    duration: float
    error: BaseException | None = None
    secrets: Secrets = field(default=_NO_SECRETS, repr=False, compare=False)
    """The run's secrets, to mask ``error``'s text with (its message and traceback)."""


Event = (
    RunStarted
    | NodeStarted
    | NodeFinished
    | NodeRetrying
    | NodeRouted
    | NodeReported
    | NodeWaiting
    | NodeFailed
    | NodeCancelled
    | NodeSkipped
    | RunFinished
)
"""Any run event."""

EventListener = Callable[[Event], None]
"""Called synchronously, in order, with every event of a run; it must not block."""
