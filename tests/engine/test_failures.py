"""Retries, timeouts, cancellation and failures: a run never ends in an unknown state."""

from __future__ import annotations

import random
import threading
import time

import anyio
import pytest

from plait import (
    GraphBuilder,
    ManualClock,
    NodeFailedError,
    NodeTimeoutError,
    RetryPolicy,
    RunCancelledError,
    RunContext,
    RunOptions,
    RunStatus,
    RunTimeoutError,
    node,
)
from plait.engine import NodeStatus, stream

pytestmark = pytest.mark.anyio


class Flaky(Exception):
    """A transient failure."""


class RateLimited(Exception):
    """Carries a server's Retry-After hint."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after}")
        self.retry_after = retry_after


def flaky(failures: int, error: type[Exception] = Flaky):  # type: ignore[no-untyped-def]
    """An async node body that fails ``failures`` times, then returns x."""
    calls: list[int] = []

    async def body(x: int, context: RunContext) -> int:
        calls.append(context.attempt)
        if len(calls) <= failures:
            raise error(f"attempt {context.attempt}")
        return x

    body.calls = calls  # type: ignore[attr-defined]
    return body


async def test_retry_succeeds_on_third_attempt_on_the_backoff_schedule() -> None:
    body = flaky(2)
    policy = RetryPolicy(max_attempts=3, initial_delay=0.5, multiplier=2, jitter=0)
    b = GraphBuilder("retry", inputs={"x": int})
    graph = b.build(b.add(body, id="flaky", retry=policy, inputs={"x": "inputs.x"}))
    clock = ManualClock()

    result = await graph.run({"x": 9}, options=RunOptions(clock=clock))

    assert result.output == 9
    assert result.nodes["flaky"].attempts == 3
    assert body.calls == [1, 2, 3]
    assert clock.sleeps == [0.5, 1.0]


async def test_backoff_is_capped_and_jittered_reproducibly() -> None:
    body = flaky(4)
    policy = RetryPolicy(max_attempts=5, initial_delay=1, multiplier=3, max_delay=5, jitter=0.5)
    b = GraphBuilder("jitter", inputs={"x": int})
    graph = b.build(b.add(body, id="flaky", retry=policy, inputs={"x": "inputs.x"}))
    clock = ManualClock()

    await graph.run({"x": 1}, options=RunOptions(clock=clock, seed=42))

    draws = random.Random(42)
    bases = [1.0, 3.0, 5.0, 5.0]  # 1, 3, 9 -> capped 5, 27 -> capped 5
    expected = [base * (1 - 0.5 * draws.random()) for base in bases]
    assert clock.sleeps == pytest.approx(expected)


async def test_retry_after_hint_is_honoured() -> None:
    body = flaky(1, error=lambda message: RateLimited(7.5))  # type: ignore[arg-type]
    policy = RetryPolicy(max_attempts=2, initial_delay=0.1, max_delay=1, jitter=0)
    b = GraphBuilder("retry-after", inputs={"x": int})
    graph = b.build(b.add(body, id="api", retry=policy, inputs={"x": "inputs.x"}))
    clock = ManualClock()

    result = await graph.run({"x": 1}, options=RunOptions(clock=clock))

    assert result.ok
    assert clock.sleeps == [7.5]


async def test_final_errors_are_not_retried() -> None:
    body = flaky(5, error=KeyError)
    policy = RetryPolicy(max_attempts=5, jitter=0, give_up_on=(KeyError,))
    b = GraphBuilder("final", inputs={"x": int})
    graph = b.build(b.add(body, id="lookup", retry=policy, inputs={"x": "inputs.x"}))
    clock = ManualClock()

    result = await graph.run({"x": 1}, options=RunOptions(clock=clock))

    assert result.status is RunStatus.FAILED
    assert result.nodes["lookup"].attempts == 1
    assert clock.sleeps == []


async def test_unlisted_errors_are_final() -> None:
    body = flaky(5, error=ValueError)
    policy = RetryPolicy(max_attempts=5, jitter=0, retry_on=(Flaky,))
    b = GraphBuilder("unlisted", inputs={"x": int})
    graph = b.build(b.add(body, id="parse", retry=policy, inputs={"x": "inputs.x"}))

    result = await graph.run({"x": 1}, options=RunOptions(clock=ManualClock()))

    assert result.nodes["parse"].attempts == 1


async def test_graph_default_policy_applies_to_nodes_without_one() -> None:
    body = flaky(1)
    b = GraphBuilder(
        "defaults",
        inputs={"x": int},
        retry=RetryPolicy(max_attempts=2, initial_delay=0.25, jitter=0),
    )
    graph = b.build(b.add(body, id="flaky", inputs={"x": "inputs.x"}))
    clock = ManualClock()

    assert (await graph.run({"x": 1}, options=RunOptions(clock=clock))).ok
    assert clock.sleeps == [0.25]


async def test_failed_run_names_node_attempts_and_cause() -> None:
    sibling_cancelled = anyio.Event()

    async def boom(x: int) -> int:
        await anyio.sleep(0.01)
        raise ValueError("boom")

    async def sibling(x: int) -> int:
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            sibling_cancelled.set()
            raise
        return x

    @node
    async def join(a: int, b: int) -> int:
        return a + b

    b = GraphBuilder("fails", inputs={"x": int})
    ra = b.add(
        boom,
        id="boom",
        retry=RetryPolicy(max_attempts=2, initial_delay=0, jitter=0),
        inputs={"x": "inputs.x"},
    )
    rb = b.add(sibling, id="sibling", inputs={"x": "inputs.x"})
    graph = b.build(b.add(join, inputs={"a": ra, "b": rb}))

    result = await graph.run({"x": 1})

    assert result.status is RunStatus.FAILED
    error = result.error
    assert isinstance(error, NodeFailedError)
    assert not isinstance(error, BaseExceptionGroup)
    assert (error.node, error.attempts) == ("boom", 2)
    assert isinstance(error.__cause__, ValueError)
    assert str(error.__cause__) == "boom"
    assert f"run {result.run_id}: node `boom` failed after 2 attempts: ValueError: boom" == str(
        error
    )
    assert sibling_cancelled.is_set()
    assert result.nodes["sibling"].status is NodeStatus.CANCELLED
    assert result.nodes["join"].status is NodeStatus.PENDING
    with pytest.raises(NodeFailedError) as raised:
        _ = result.output
    assert raised.value is error


async def test_async_node_timeout_is_retryable() -> None:
    attempts: list[int] = []

    async def slow_then_fast(x: int, context: RunContext) -> int:
        attempts.append(context.attempt)
        if context.attempt == 1:
            await anyio.sleep(30)
        return x

    b = GraphBuilder("timeout", inputs={"x": int})
    graph = b.build(
        b.add(
            slow_then_fast,
            id="slow",
            timeout=0.05,
            retry=RetryPolicy(max_attempts=2, initial_delay=0, jitter=0),
            inputs={"x": "inputs.x"},
        )
    )

    result = await graph.run({"x": 5})

    assert result.output == 5
    assert attempts == [1, 2]


async def test_sync_node_timeout_stops_waiting_for_the_thread_after_its_grace() -> None:
    release = threading.Event()

    def blocking(x: int) -> int:
        release.wait(10)
        return x

    b = GraphBuilder("sync-timeout", inputs={"x": int})
    work = node(id="blocking", timeout=0.1, grace=0.1)(blocking)
    graph = b.build(b.add(work, inputs={"x": "inputs.x"}))

    began = time.perf_counter()
    result = await graph.run({"x": 1})
    elapsed = time.perf_counter() - began
    release.set()

    assert elapsed < 5
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, NodeFailedError)
    assert isinstance(result.error.__cause__, NodeTimeoutError)
    assert isinstance(result.error.__cause__, TimeoutError)
    assert "node `blocking` is still running after timeout (0.1 s" in str(result.error)


async def test_run_timeout_fails_the_run_and_names_the_nodes_in_flight() -> None:
    async def forever(x: int) -> int:
        await anyio.sleep(60)
        return x

    b = GraphBuilder("run-timeout", inputs={"x": int})
    graph = b.build(b.add(forever, id="forever", inputs={"x": "inputs.x"}))

    result = await graph.run({"x": 1}, options=RunOptions(timeout=0.05))

    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, RunTimeoutError)
    assert result.error.in_flight == ("forever",)
    assert result.nodes["forever"].status is NodeStatus.CANCELLED


async def test_cancelling_a_run_cancels_in_flight_nodes() -> None:
    started = {"a": anyio.Event(), "b": anyio.Event()}
    cancelled: list[str] = []

    def waiter(name: str):  # type: ignore[no-untyped-def]
        async def wait(x: int) -> int:
            started[name].set()
            try:
                await anyio.sleep(60)
            except anyio.get_cancelled_exc_class():
                cancelled.append(name)
                raise
            return x

        return wait

    @node
    async def join(a: int, b: int) -> int:
        return a + b

    builder = GraphBuilder("cancel", inputs={"x": int})
    ra = builder.add(waiter("a"), id="a", inputs={"x": "inputs.x"})
    rb = builder.add(waiter("b"), id="b", inputs={"x": "inputs.x"})
    graph = builder.build(builder.add(join, inputs={"a": ra, "b": rb}))

    with anyio.fail_after(5):
        async with stream(graph, {"x": 1}) as handle:
            await started["a"].wait()
            await started["b"].wait()
            handle.cancel()

    result = handle.result
    assert result.status is RunStatus.CANCELLED
    assert isinstance(result.error, RunCancelledError)
    assert sorted(cancelled) == ["a", "b"]
    assert sorted(result.error.in_flight) == ["a", "b"]
    assert result.nodes["join"].status is NodeStatus.PENDING


async def test_cancelling_from_outside_propagates_and_cancels_nodes() -> None:
    cancelled = anyio.Event()

    async def wait(x: int) -> int:
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise
        return x

    b = GraphBuilder("outer-cancel", inputs={"x": int})
    graph = b.build(b.add(wait, id="wait", inputs={"x": "inputs.x"}))

    with anyio.move_on_after(0.05) as scope:
        await graph.run({"x": 1})
    assert scope.cancelled_caught
    assert cancelled.is_set()
