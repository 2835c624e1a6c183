"""A cassette is the effect journal in a file: replayed by the resume code path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plait import GraphBuilder, RunOptions
from plait.engine import MemoryStore, resume
from plait.graphs import Graph
from plait.nodes import BadRequestError, Message, ScriptedModel, ToolCall, agent, tool
from plait.nodes.agents._journal import CallLog, JournalEntry
from plait.testing._cassette import Cassette, with_cassette

pytestmark = pytest.mark.anyio

Seen = list[tuple[str, int, str, bool]]


def _charging(script: ScriptedModel, charges: list[int]) -> Graph[object]:
    @tool
    def charge(amount: int) -> str:
        """Charge the customer."""
        charges.append(amount)
        return f"charged {amount}"

    pay = agent("pay", model=script, inputs={"amount": int}, tools=[charge])
    b = GraphBuilder("pay", inputs={"amount": int})
    return b.build(b.add(pay, inputs={"amount": "inputs.amount"}))


@pytest.fixture
def replays(monkeypatch: pytest.MonkeyPatch) -> dict[str, Seen]:
    """Every call an agent looked up in its journal, by the journal's type: (node, index,
    kind, whether the journal answered)."""
    seen: dict[str, Seen] = {}
    original = CallLog._replay

    async def spy(log: CallLog, index: int, kind: str, data: object) -> JournalEntry | None:
        found = await original(log, index, kind, data)  # type: ignore[arg-type]
        name = type(log._journal).__name__
        seen.setdefault(name, []).append((str(log.node), index, kind, found is not None))
        return found

    monkeypatch.setattr(CallLog, "_replay", spy)
    return seen


async def test_a_cassette_replay_and_a_resume_take_the_same_replay_path(
    tmp_path: Path, replays: dict[str, Seen]
) -> None:
    path = tmp_path / "pay.json"
    charges: list[int] = []
    recording = Cassette(path, mode="record")
    script = ScriptedModel(
        [Message.assistant(ToolCall("c1", "charge", {"amount": 30})), "Charged 30."]
    )
    done = await with_cassette(_charging(script, charges), recording).run({"amount": 30})
    recording.save()
    assert done.output == "Charged 30."
    assert charges == [30]

    replays.clear()
    silent = ScriptedModel([])
    replayed = await with_cassette(_charging(silent, charges), Cassette(path)).run({"amount": 30})
    assert replayed.output == "Charged 30."
    assert (silent.requests, charges) == ([], [30])  # no model call, no tool run
    assert replays == {
        "CassetteJournal": [
            ("pay", 0, "llm", True),
            ("pay", 1, "tool", True),
            ("pay", 2, "llm", True),
        ]
    }

    replays.clear()
    store = MemoryStore()
    failing = ScriptedModel(
        [
            Message.assistant(ToolCall("c1", "charge", {"amount": 30})),
            BadRequestError("not now", provider="anthropic", status=400),
            "Charged 30.",
        ]
    )
    graph = _charging(failing, charges)
    first = await graph.run({"amount": 30}, options=RunOptions(store=store, run_id="p1"))
    assert first.error is not None
    replays.clear()
    again = await resume(graph, "p1", store=store)
    assert again.output == "Charged 30."
    assert charges == [30, 30]  # once in the recording, once in the first durable run
    assert replays == {
        "Checkpointer": [
            ("pay", 0, "llm", True),
            ("pay", 1, "tool", True),
            ("pay", 2, "llm", False),
        ]
    }


async def test_a_durable_recording_journals_to_the_store_and_the_cassette(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    recording = Cassette(tmp_path / "pay.json", mode="record")
    script = ScriptedModel([Message.assistant(ToolCall("c1", "charge", {"amount": 5})), "ok"])
    graph = with_cassette(_charging(script, []), recording)

    await graph.run({"amount": 5}, options=RunOptions(store=store, run_id="p1"))

    stored = await store.load("p1")
    assert stored is not None
    assert [(c.node, c.index, c.kind) for c in stored.journal] == [
        ("pay", 0, "llm"),
        ("pay", 1, "tool"),
        ("pay", 2, "llm"),
    ]
    [calls] = [run["pay"] for run in recording.runs]
    assert [(c["call"], c["index"]) for c in calls] == [(1, 0), (2, 2)]
    assert calls[0]["tools"][0]["result"] == {"content": "charged 5", "is_error": False}  # type: ignore[index]


async def test_a_file_without_call_indexes_still_replays(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    charges: list[int] = []
    recording = Cassette(path, mode="record")
    script = ScriptedModel([Message.assistant(ToolCall("c1", "charge", {"amount": 7})), "ok"])
    await with_cassette(_charging(script, charges), recording).run({"amount": 7})
    data = recording.to_dict()
    for run in data["runs"]:  # type: ignore[attr-defined]
        for calls in run["nodes"].values():
            for call in calls:
                del call["index"]  # as cassettes were written before they were journals
    path.write_text(json.dumps(data), encoding="utf-8")

    replayed = await with_cassette(_charging(ScriptedModel([]), charges), Cassette(path)).run(
        {"amount": 7}
    )

    assert replayed.output == "ok"
    assert charges == [7]
