"""Client-side rate limits: requests and tokens per minute, and concurrent requests."""

from __future__ import annotations

import anyio
import pytest

from plait.nodes import (
    Message,
    ModelRequest,
    RateLimit,
    RateLimitedModel,
    RateLimiter,
    ScriptedModel,
    Usage,
)

pytestmark = pytest.mark.anyio


class FakeTime:
    """A clock whose sleep moves time instead of waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds
        await anyio.lowlevel.checkpoint()


async def test_requests_per_minute_spaces_calls_after_the_burst() -> None:
    time = FakeTime()
    limiter = RateLimiter(RateLimit(requests_per_minute=2), clock=time.clock, sleep=time.sleep)

    for _ in range(4):
        async with limiter.slot():
            pass

    assert time.sleeps == [30.0, 30.0]  # two at once, then one every 30 s


async def test_tokens_per_minute_settles_with_the_real_usage() -> None:
    time = FakeTime()
    limiter = RateLimiter(RateLimit(tokens_per_minute=600), clock=time.clock, sleep=time.sleep)
    model = RateLimitedModel(
        ScriptedModel(["a", "b"], usage=Usage(input_tokens=500, output_tokens=100)), limiter
    )
    request = ModelRequest(messages=(Message.user("x" * 40),))  # estimated at 10 tokens

    await model.complete(request)
    await model.complete(request)

    assert time.sleeps == [1.0]  # 600 used: wait until 10 tokens have refilled (10 / 10 per s)


async def test_concurrent_requests_are_capped() -> None:
    limiter = RateLimiter(RateLimit(concurrent_requests=2))
    running = 0
    peak = 0

    async def one() -> None:
        nonlocal running, peak
        async with limiter.slot():
            running += 1
            peak = max(peak, running)
            await anyio.sleep(0.01)
            running -= 1

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(one)

    assert peak == 2


async def test_a_cancelled_waiter_passes_its_turn_on() -> None:
    limiter = RateLimiter(RateLimit(concurrent_requests=1))
    done: list[str] = []
    gate = anyio.Event()

    async def holder() -> None:
        async with limiter.slot():
            await gate.wait()
        done.append("holder")

    async def waiter(name: str) -> None:
        async with limiter.slot():
            done.append(name)

    async with anyio.create_task_group() as group:
        group.start_soon(holder)
        await anyio.wait_all_tasks_blocked()
        with anyio.CancelScope() as scope:
            scope.cancel()
            await waiter("cancelled")
        group.start_soon(waiter, "next")
        await anyio.wait_all_tasks_blocked()
        gate.set()

    assert done == ["holder", "next"]
