"""Conversation threads in the store: runs share a thread by its id, and a resumed run
sees the history it saw before and never appends its turn twice."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from plait import Graph, GraphBuilder, RunOptions, StoreError
from plait.engine import Lease, MemoryStore, OutputRecord, SharedRecord, SQLiteStore, resume
from plait.nodes import ConversationMemory, Message, ScriptedModel, Secrets, agent

pytestmark = pytest.mark.anyio


class CrashingStore(SQLiteStore):
    """An SQLite store whose disk fails when the ``chat`` node's output is committed:
    the turn is in the thread, the output is not, as after a crash between the two."""

    crash = False

    async def put_outputs(
        self,
        records: Sequence[OutputRecord],
        shared: Sequence[SharedRecord] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        self._fail(records)
        await super().put_outputs(records, shared, lease=lease)

    def put_outputs_now(
        self, records: Sequence[OutputRecord], *, lease: Lease | None = None
    ) -> bool:
        self._fail(records)
        return super().put_outputs_now(records, lease=lease)

    def _fail(self, records: Sequence[OutputRecord]) -> None:
        if self.crash and any(record.node == "chat" for record in records):
            raise OSError(28, "No space left on device")


def chat_graph(model: ScriptedModel, memory: ConversationMemory | None = None) -> Graph[str]:
    chat = agent(
        "chat",
        model=model,
        inputs={"thread": str, "text": str},
        thread_input="thread",
        memory=memory,
    )
    b = GraphBuilder("chat", inputs={"thread": str, "text": str})
    return b.build(b.add(chat, inputs={"thread": "inputs.thread", "text": "inputs.text"}))


def texts(messages: Sequence[Message]) -> list[str]:
    return [message.text for message in messages]


async def test_a_second_run_on_the_same_thread_sees_the_first_runs_turn(tmp_path: Path) -> None:
    model = ScriptedModel(["Hi Ada.", "You are Ada.", "Hello stranger."])
    graph = chat_graph(model)
    async with SQLiteStore(tmp_path / "runs.db") as store:
        first = await graph.run(
            {"thread": "t1", "text": "I am Ada."}, options=RunOptions(store=store, run_id="r1")
        )
        second = await graph.run(
            {"thread": "t1", "text": "Who am I?"}, options=RunOptions(store=store, run_id="r2")
        )
        other = await graph.run(
            {"thread": "t2", "text": "Hello?"}, options=RunOptions(store=store, run_id="r3")
        )
        turns = await store.load_thread("t1")

    assert (first.output, second.output, other.output) == (
        "Hi Ada.",
        "You are Ada.",
        "Hello stranger.",
    )
    assert texts(model.requests[1].messages) == ["I am Ada.", "Hi Ada.", "Who am I?"]
    assert texts(model.requests[2].messages) == ["Hello?"]
    assert [(turn.run_id, turn.node, turn.messages_after) for turn in turns] == [
        ("r1", "chat", 0),
        ("r2", "chat", 2),
    ]


async def test_a_new_process_reads_the_thread_from_the_file(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "runs.db") as store:
        await chat_graph(ScriptedModel(["Noted: blue."])).run(
            {"thread": "t1", "text": "My colour is blue."},
            options=RunOptions(store=store, run_id="r1"),
        )
    model = ScriptedModel(["Blue."])
    async with SQLiteStore(tmp_path / "runs.db") as reopened:
        await chat_graph(model).run(
            {"thread": "t1", "text": "My colour?"}, options=RunOptions(store=reopened, run_id="r2")
        )

    assert texts(model.requests[0].messages) == ["My colour is blue.", "Noted: blue.", "My colour?"]


async def test_a_resumed_run_sees_the_same_history_and_appends_its_turn_once(
    tmp_path: Path,
) -> None:
    model = ScriptedModel(["Hi Ada.", "You are Ada."])
    graph = chat_graph(model)
    store = CrashingStore(tmp_path / "runs.db")
    async with store:
        await graph.run(
            {"thread": "t1", "text": "I am Ada."}, options=RunOptions(store=store, run_id="r1")
        )
        store.crash = True
        with pytest.raises(StoreError, match="No space left on device"):
            await graph.run(
                {"thread": "t1", "text": "Who am I?"},
                options=RunOptions(store=store, run_id="r2"),
            )
        assert [turn.run_id for turn in await store.load_thread("t1")] == ["r1", "r2"]
        store.crash = False

        resumed = await resume(graph, "r2", store=store)
        turns = await store.load_thread("t1")

    assert resumed.output == "You are Ada."
    assert len(model.requests) == 2  # the resumed call was replayed from the journal
    assert [(turn.run_id, turn.messages_after) for turn in turns] == [("r1", 0), ("r2", 2)]
    assert texts(json_messages(turns[1].messages)) == ["Who am I?", "You are Ada."]


async def test_secrets_are_masked_in_the_stored_thread() -> None:
    store = MemoryStore()
    graph = chat_graph(ScriptedModel(["Your key is sk-live-123, keep it."]))

    await graph.run(
        {"thread": "t1", "text": "My key is sk-live-123."},
        options=RunOptions(store=store, run_id="r1", secrets=Secrets(["sk-live-123"])),
    )

    stored = b"".join(turn.messages for turn in await store.load_thread("t1"))
    assert b"sk-live-123" not in stored
    assert len(json_messages(stored)) == 2


async def test_without_a_store_an_agent_remembers_only_through_memory_it_is_given() -> None:
    model = ScriptedModel(["one", "two", "three", "four"])
    forgetful = chat_graph(model)
    await forgetful.run({"thread": "t1", "text": "a"})
    await forgetful.run({"thread": "t1", "text": "b"})
    assert texts(model.requests[1].messages) == ["b"]

    memory = ConversationMemory()
    remembering = chat_graph(model, memory)
    store = MemoryStore()
    await remembering.run({"thread": "t1", "text": "c"}, options=RunOptions(store=store))
    await remembering.run({"thread": "t1", "text": "d"})

    assert texts(model.requests[3].messages) == ["c", "three", "d"]
    assert list(await store.load_thread("t1")) == []  # the memory given wins over the store


def json_messages(data: bytes) -> list[Message]:
    return [Message.from_dict(item) for item in json.loads(data)]
