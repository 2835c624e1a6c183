"""What a scheduled step can yield besides a value, and the errors only the scheduler raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plait.graphs import BranchFailure
from plait.nodes import PlaitError, RunError

__all__ = [
    "MISSING",
    "WAITING",
    "Absent",
    "GaveUp",
    "JoinUnsatisfiedError",
    "NoOutputError",
    "RouteError",
]

MISSING: Any = object()
"""A step's value before it has one."""
WAITING: Any = object()
"""A human node's value while its question is unanswered."""


class RouteError(PlaitError):
    """A router returned a label it did not declare."""


class JoinUnsatisfiedError(PlaitError):
    """A ``k_of_n`` join could not get ``k`` values."""


class NoOutputError(RunError):
    """The run ended without its output: the output node was skipped."""


@dataclass(frozen=True, slots=True)
class Absent:
    """What reaches an input whose source did not produce a value."""

    reason: str
    failure: BranchFailure | None = None


class GaveUp(Exception):
    """Internal: a node exhausted its attempts; carries the last error."""

    def __init__(self, error: BaseException, attempts: int) -> None:
        self.error = error
        self.attempts = attempts
