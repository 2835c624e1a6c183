"""A stored run's trace, rebuilt from its checkpoints, equals the live one where it can."""

from __future__ import annotations

import pytest

from examples.approval import graph as approval
from examples.digest import graph as digest
from plait import RunOptions
from plait.engine import MemoryStore, NodeStatus, TraceRecorder, diff
from plait.engine.traces._stored import stored_trace

pytestmark = pytest.mark.anyio


async def test_the_stored_trace_of_a_run_equals_its_live_trace() -> None:
    store = MemoryStore()
    await store.open()
    recorder = TraceRecorder(digest)
    result = await digest.run(
        {"topic": "graph engines"}, options=RunOptions(store=store), listeners=(recorder,)
    )

    stored = await stored_trace(digest, result.run_id, store)

    assert not diff(recorder.trace(), stored), diff(recorder.trace(), stored).text
    papers = stored.node("search_papers")
    assert (papers.attempts, [e.type for e in papers.errors]) == (2, ["IndexBusy"])


async def test_the_stored_trace_of_a_waiting_run_shows_the_question() -> None:
    store = MemoryStore()
    await store.open()
    result = await approval.run({"amount": 3}, options=RunOptions(store=store))

    stored = await stored_trace(approval, result.run_id, store)

    assert stored.node("approve").status is NodeStatus.WAITING
    assert stored.node("draft").output == "refund of 3 EUR for order 1042"
    assert stored.status.value == "waiting"
