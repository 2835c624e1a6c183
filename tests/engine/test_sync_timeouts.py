"""Sync node timeouts that hold: awaited threads, cancel tokens, killable subprocesses."""

from __future__ import annotations

import os
import threading
import time
import types
from pathlib import Path

import anyio
import pytest

from plait import (
    CancelToken,
    DefinitionError,
    GraphBuilder,
    NodeFailedError,
    NodeStillRunningError,
    NodeTimeoutError,
    RetryPolicy,
    RunStatus,
    node,
)
from plait.engine import stream
from plait.nodes import AttemptCancelledError, NodeProcessError, reference_of, resolve_reference
from tests.engine import isolated_nodes
from tests.engine.isolated_nodes import Order

pytestmark = pytest.mark.anyio

RETRY = RetryPolicy(max_attempts=3, initial_delay=0, jitter=0)


class Tally:
    """Counts attempts running at once and side effects, from the worker threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.effects = 0

    def enter(self) -> None:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)

    def leave(self, effect: bool) -> None:
        with self.lock:
            self.running -= 1
            self.effects += effect


async def test_a_timed_out_thread_ends_before_a_retry_and_nothing_lands_after_the_run() -> None:
    tally = Tally()

    def slow(x: int) -> int:
        tally.enter()
        time.sleep(0.3)  # past the timeout, within the grace period
        tally.leave(effect=True)
        return x

    b = GraphBuilder("slow", inputs={"x": int})
    work = b.add(node(timeout=0.1, retry=RETRY, grace=2.0)(slow), inputs={"x": "inputs.x"})
    result = await b.build(work).run({"x": 1})
    effects_when_returned = tally.effects
    await anyio.sleep(0.5)

    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, NodeFailedError)
    assert type(result.error.__cause__) is NodeTimeoutError
    assert tally.most == 1  # retries never overlap: each waited for the last thread
    assert effects_when_returned == 3
    assert tally.effects == effects_when_returned  # 0 side effects after the run returned
    assert tally.running == 0


async def test_a_thread_still_running_after_its_grace_fails_the_node_without_a_retry() -> None:
    release = threading.Event()
    tally = Tally()

    def stuck(x: int) -> int:
        tally.enter()
        release.wait(10)
        tally.leave(effect=False)
        return x

    b = GraphBuilder("stuck", inputs={"x": int})
    work = b.add(node(timeout=0.1, retry=RETRY, grace=0.2)(stuck), inputs={"x": "inputs.x"})
    began = time.perf_counter()
    result = await b.build(work).run({"x": 1})
    elapsed = time.perf_counter() - began
    release.set()

    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, NodeFailedError)
    cause = result.error.__cause__
    assert isinstance(cause, NodeStillRunningError)
    assert isinstance(cause, NodeTimeoutError)
    assert "is still running after timeout (0.1 s, then 0.2 s of grace)" in str(cause)
    assert "isolation=" in str(cause)
    assert tally.most == 1  # one attempt only: a retry would have run beside it
    assert elapsed < 2


async def test_the_cancel_token_stops_a_cooperative_node_at_its_timeout() -> None:
    steps: list[int] = []
    seen: list[CancelToken] = []

    @node(timeout=0.2, grace=2.0)
    def cooperative(x: int, token: CancelToken) -> int:
        seen.append(token)
        for step in range(500):
            token.raise_if_cancelled()
            steps.append(step)
            token.wait(0.01)
        return x

    assert [item.name for item in cooperative.inputs] == ["x"]  # the token is not an input
    b = GraphBuilder("cooperative", inputs={"x": int})
    began = time.perf_counter()
    result = await b.build(b.add(cooperative, inputs={"x": "inputs.x"})).run({"x": 1})
    elapsed = time.perf_counter() - began
    count = len(steps)
    await anyio.sleep(0.2)

    assert type(result.error.__cause__) is NodeTimeoutError  # type: ignore[union-attr]
    assert seen[0].cancelled
    assert elapsed < 1.5
    assert len(steps) == count < 100  # it stopped at the token, long before 500 steps
    with pytest.raises(AttemptCancelledError):
        seen[0].raise_if_cancelled()


async def test_cancelling_the_run_sets_the_token_and_waits_for_the_thread() -> None:
    stopped = threading.Event()

    @node
    def patient(x: int, token: CancelToken) -> int:
        token.wait(10)
        time.sleep(0.1)  # a last side effect, still before the run ends
        stopped.set()
        return x

    b = GraphBuilder("patient", inputs={"x": int})
    graph = b.build(b.add(patient, inputs={"x": "inputs.x"}))
    async with stream(graph, {"x": 1}) as handle:
        async for event in handle:
            if type(event).__name__ == "NodeStarted":
                await anyio.sleep(0.1)
                handle.cancel()
    assert handle.result.status is RunStatus.CANCELLED
    assert stopped.is_set()  # the run ended after the thread, not before it


async def test_a_process_isolated_node_round_trips_its_inputs_and_output() -> None:
    b = GraphBuilder("prices", inputs={"order": Order, "unit": float})
    graph = b.build(
        b.add(isolated_nodes.priced, inputs={"order": "inputs.order", "unit": "inputs.unit"})
    )
    order = Order("tea", 3, {"note": [1, None]})
    result = await graph.run({"order": order, "unit": 1.5})

    assert result.status is RunStatus.SUCCEEDED, result.error
    output = result.output
    assert output["item"] == "tea"
    assert output["total"] == 4.5
    assert output["note"] == [1, None]
    assert output["pid"] != os.getpid()


async def test_a_process_isolated_node_stuck_in_c_is_killed_at_its_timeout(
    tmp_path: Path,
) -> None:
    pid_file = tmp_path / "pid"
    b = GraphBuilder("stuck", inputs={"pid_file": str})
    graph = b.build(b.add(isolated_nodes.stuck, inputs={"pid_file": "inputs.pid_file"}))
    began = time.perf_counter()
    result = await graph.run({"pid_file": str(pid_file)})
    elapsed = time.perf_counter() - began

    assert type(result.error.__cause__) is NodeTimeoutError  # type: ignore[union-attr]
    assert elapsed < 0.5 + 1.0  # the timeout, plus the time to kill and reap
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # gone, and reaped: not even a zombie
        os.kill(pid, 0)
    assert not os.path.exists(f"/proc/{pid}")  # noqa: ASYNC240 - a quick local check
    await anyio.sleep(0.2)
    assert not os.path.exists(f"{pid_file}.late")  # noqa: ASYNC240


async def test_a_process_isolated_node_reports_its_error_and_its_death() -> None:
    b = GraphBuilder("errors", inputs={"x": int})
    raised = await b.build(b.add(isolated_nodes.refuses, inputs={"x": "inputs.x"})).run({"x": 7})
    b = GraphBuilder("death", inputs={"x": int})
    died = await b.build(b.add(isolated_nodes.dies, inputs={"x": "inputs.x"})).run({"x": 7})

    cause = raised.error.__cause__  # type: ignore[union-attr]
    assert isinstance(cause, NodeProcessError)
    assert cause.kind == "ValueError"
    assert "no 7" in str(cause)
    death = died.error.__cause__  # type: ignore[union-attr]
    assert isinstance(death, NodeProcessError)
    assert death.kind == "exit"
    assert "code 3" in str(death)


def test_a_node_not_importable_by_name_is_refused_for_process_isolation() -> None:
    def local(x: int) -> int:
        return x

    with pytest.raises(DefinitionError, match=r"\[not-importable\].*inside a function"):
        node(isolation="process")(local)
    with pytest.raises(DefinitionError, match=r"\[not-importable\].*lambda"):
        node(id="l", isolation="process")(lambda x: x)
    main = types.FunctionType(local.__code__, {}, "main")
    main.__module__, main.__qualname__ = "__main__", "main"
    main.__annotations__ = {"x": int, "return": int}
    with pytest.raises(DefinitionError, match=r"__main__"):
        node(isolation="process")(main)

    async def later(x: int) -> int:
        return x

    later.__qualname__ = "later"
    with pytest.raises(DefinitionError, match=r"\[bad-isolation\].*async"):
        node(isolation="process")(later)


def test_references_resolve_only_to_plait_node_functions() -> None:
    reference = reference_of(isolated_nodes.priced.fn)
    assert reference == "tests.engine.isolated_nodes:priced"
    assert resolve_reference(reference) is isolated_nodes.priced
    for bad in ("os:system", "tests.engine.isolated_nodes:Order", "nowhere.at_all:f", "os"):
        with pytest.raises((ImportError, LookupError), match=r"not|No module"):
            resolve_reference(bad)
