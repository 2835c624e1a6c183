"""Structured logs: every event a record under `plait.run`, with stable names and fields."""

from __future__ import annotations

import json
import logging

import pytest

from plait import ManualClock, RunOptions
from plait.engine.telemetry import EVENT_NAMES, LOGGER, JsonLogFormatter, StructuredLogs
from plait.nodes import Secrets
from tests.engine.telemetry.test_otel import KEY, support_graph

pytestmark = pytest.mark.anyio


async def test_every_event_is_a_record_with_its_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="plait")

    result = await support_graph().run(
        {"question": "Where?", "xs": [1]},
        options=RunOptions(clock=ManualClock()),
        listeners=(StructuredLogs(),),
    )

    records = [record for record in caplog.records if record.name == LOGGER]
    fields = [record.__dict__["plait"] for record in records]
    assert {item["event"] for item in fields} <= set(EVENT_NAMES)
    assert all(item["run_id"] == result.run_id for item in fields)
    retry = next(item for item in fields if item["event"] == "node.retrying")
    assert retry == {
        "run_id": result.run_id,
        "event": "node.retrying",
        "node": "flaky",
        "attempt": 1,
        "delay": 0.5,
        "error": "ConnectionError: reset once",
    }
    levels = {r.__dict__["plait"]["event"]: r.levelno for r in records}
    assert levels["node.retrying"] == logging.WARNING
    assert levels["node.reported"] == logging.DEBUG
    assert ("node.started", "each[0]/double", 1) in [
        (item["event"], item.get("node"), item.get("attempt")) for item in fields
    ]


async def test_reports_are_skipped_below_debug_and_errors_are_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from plait import GraphBuilder, node

    @node
    async def broken(x: int) -> int:
        raise ValueError(f"cannot use {KEY}")

    b = GraphBuilder("breaks", inputs={"x": int})
    graph = b.build(b.add(broken, inputs={"x": "inputs.x"}))
    caplog.set_level(logging.INFO, logger="plait")

    await graph.run({"x": 1}, listeners=(StructuredLogs(secrets=Secrets([KEY])),))

    formatter = JsonLogFormatter()
    lines = [formatter.format(record) for record in caplog.records if record.name == LOGGER]
    documents = [json.loads(line) for line in lines]
    assert [document["event"] for document in documents] == [
        "run.started",
        "node.started",
        "node.failed",
        "run.finished",
    ]
    assert documents[2]["error"] == "ValueError: cannot use **********"
    assert documents[2]["level"] == "error"
    assert all(KEY not in line for line in lines)
