"""Retry policy: how often a node is tried again and how long to wait in between."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["NO_RETRY", "RetryPolicy"]


def _retry_after(error: BaseException) -> float | None:
    hint = getattr(error, "retry_after", None)
    if isinstance(hint, int | float) and not isinstance(hint, bool) and math.isfinite(hint):
        return max(0.0, float(hint))
    return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts, exponential backoff with jitter and a cap, and which errors retry.

    The wait before attempt ``n + 1`` is ``initial_delay * multiplier ** (n - 1)``, capped at
    ``max_delay``, then shortened by up to ``jitter`` of itself at random (``jitter=1`` is
    "full jitter"). An error carrying a numeric ``retry_after`` attribute (seconds, as
    rate-limited provider errors do) waits at least that long, even past ``max_delay``.

    An error retries when it is an instance of ``retry_on`` and not of ``give_up_on``;
    anything else is final at once.
    """

    max_attempts: int = 3
    initial_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.25
    retry_on: tuple[type[BaseException], ...] = field(default=(Exception,))
    give_up_on: tuple[type[BaseException], ...] = field(default=())

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.max_attempts < 1:
            problems.append(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.initial_delay < 0 or self.max_delay < 0:
            problems.append("initial_delay and max_delay must not be negative")
        if self.multiplier < 1:
            problems.append(f"multiplier must be at least 1, got {self.multiplier}")
        if not 0 <= self.jitter <= 1:
            problems.append(f"jitter is a fraction between 0 and 1, got {self.jitter}")
        if problems:
            raise ValueError("invalid RetryPolicy: " + "; ".join(problems))

    def retries(self, error: BaseException) -> bool:
        """Whether ``error`` is worth another attempt (ignoring how many are left)."""
        if isinstance(error, self.give_up_on):
            return False
        return isinstance(error, self.retry_on)

    def delay(self, attempt: int, error: BaseException, random: float) -> float:
        """Seconds to wait after failed ``attempt`` (1-based); ``random`` is in [0, 1)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        wait = base * (1.0 - self.jitter * random)
        hint = _retry_after(error)
        return wait if hint is None else max(wait, hint)


NO_RETRY = RetryPolicy(max_attempts=1)
"""One attempt and no retries: the default for function nodes."""
