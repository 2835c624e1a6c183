"""Time as the engine sees it: a small protocol, the real clock, and a manual one for tests."""

from __future__ import annotations

import time
from typing import Protocol

import anyio
import anyio.lowlevel

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    """Where the engine reads the time and waits between retries."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``; cancellable."""
        ...


class SystemClock:
    """The real monotonic clock and ``anyio.sleep``."""

    __slots__ = ()

    def now(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """``anyio.sleep(seconds)``."""
        await anyio.sleep(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that never waits: ``sleep`` records the delay and moves time forward.

    Use it to test retry schedules without slow tests: ``clock.sleeps`` lists every wait.
    """

    __slots__ = ("_now", "sleeps")

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        """The manual time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        """Record ``seconds``, advance by it, and yield to other tasks once."""
        self.sleeps.append(seconds)
        self._now += seconds
        await anyio.lowlevel.checkpoint()

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now:g})"
