"""Client-side rate limits: requests and tokens per minute, and concurrent requests.

Token buckets refill continuously (a minute's allowance over a minute). Tokens are
reserved from an estimate before a call and settled with the real count after it, so a
big reply makes the next callers wait rather than overshoot.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio

from plait.nodes.llm._config import RateLimit
from plait.nodes.llm._model import DeltaHandler, ModelClient, ModelRequest, ModelResponse

__all__ = ["RateLimitedModel", "RateLimiter"]


class _Bucket:
    def __init__(self, per_minute: float, now: float) -> None:
        self.capacity = per_minute
        self.rate = per_minute / 60.0
        self.level = per_minute
        self.stamp = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` is available (an amount above capacity waits for a
        full bucket, or it would never run)."""
        needed = min(amount, self.capacity)
        return 0.0 if self.level >= needed else (needed - self.level) / self.rate


class RateLimiter:
    """Limits one provider key's calls. Shared by every client of that key.

    ``clock`` and ``sleep`` are injectable so tests run without waiting.
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        now = clock()
        self._requests = (
            _Bucket(limit.requests_per_minute, now) if limit.requests_per_minute else None
        )
        self._tokens = _Bucket(limit.tokens_per_minute, now) if limit.tokens_per_minute else None
        self._active = 0
        self._waiters: list[anyio.Event] = []

    @asynccontextmanager
    async def slot(self, tokens: int = 0) -> AsyncIterator[None]:
        """Hold a request slot for one call that is expected to use ``tokens`` tokens."""
        await self._enter()
        try:
            await self._take(tokens)
            yield
        finally:
            self._leave()

    def settle(self, reserved: int, used: int) -> None:
        """Charge the difference between the tokens reserved and those really used."""
        if self._tokens is not None:
            self._tokens.refill(self._clock())
            self._tokens.level -= used - reserved

    async def _enter(self) -> None:
        cap = self.limit.concurrent_requests
        while cap is not None and self._active >= cap:
            event = anyio.Event()
            self._waiters.append(event)
            try:
                await event.wait()
            except BaseException:
                if event in self._waiters:
                    self._waiters.remove(event)
                elif self._waiters and self._active < cap:
                    self._waiters.pop(0).set()  # pass on the wake-up this waiter got
                raise
        self._active += 1

    def _leave(self) -> None:
        self._active -= 1
        if self._waiters:
            self._waiters.pop(0).set()

    async def _take(self, tokens: int) -> None:
        while True:
            now = self._clock()
            wait = 0.0
            for bucket, amount in ((self._requests, 1.0), (self._tokens, float(tokens))):
                if bucket is not None:
                    bucket.refill(now)
                    wait = max(wait, bucket.wait_for(amount))
            if wait <= 0:
                if self._requests is not None:
                    self._requests.level -= 1
                if self._tokens is not None:
                    self._tokens.level -= tokens
                return
            await self._sleep(wait)


def estimate_tokens(request: ModelRequest) -> int:
    """A rough count of the tokens a request will use (4 characters a token, plus the
    output allowance)."""
    characters = len(request.system)
    for message in request.messages:
        for part in message.parts:
            characters += len(str(getattr(part, "text", "") or getattr(part, "content", "")))
    return characters // 4 + (request.max_tokens or 0)


class RateLimitedModel:
    """A model client whose calls go through a ``RateLimiter``."""

    def __init__(self, client: ModelClient, limiter: RateLimiter) -> None:
        self.client = client
        self.limiter = limiter

    @property
    def name(self) -> str:
        """The wrapped client's name."""
        return self.client.name

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The wrapped call, once the limits allow it."""
        reserved = estimate_tokens(request)
        async with self.limiter.slot(reserved):
            response = await self.client.complete(request)
        self.limiter.settle(reserved, response.usage.total_tokens)
        return response

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        """The wrapped streamed call, once the limits allow it."""
        reserved = estimate_tokens(request)
        async with self.limiter.slot(reserved):
            response = await self.client.stream(request, on_delta)
        self.limiter.settle(reserved, response.usage.total_tokens)
        return response
