"""passthrough and playback follow fast-agent's exact semantics; scripted records requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from plait.nodes import (
    ConfigError,
    Message,
    ModelCatalog,
    ModelRequest,
    PassthroughModel,
    PlaitConfig,
    PlaybackModel,
    ScriptedModel,
    StopReason,
    TextDelta,
    ToolCall,
    ToolResult,
    Usage,
    save_history,
)

pytestmark = pytest.mark.anyio


def ask(*messages: Message) -> ModelRequest:
    return ModelRequest(messages=messages)


async def test_passthrough_echoes_the_trailing_user_messages() -> None:
    model = PassthroughModel()

    reply = await model.complete(ask(Message.user("playback message")))
    assert reply.message.text == "playback message"
    assert reply.usage == Usage()

    history = (
        Message.user("old"),
        Message.assistant("answer"),
        Message.user("one"),
        Message.user("two"),
    )
    assert (await model.complete(ask(*history))).message.text == "one\ntwo"


async def test_passthrough_returns_a_trailing_assistant_message_unchanged() -> None:
    stored = Message.assistant("replayed", ToolCall("t1", "x", {}), stop_reason=StopReason.TOOL_USE)

    reply = await PassthroughModel().complete(ask(Message.user("hi"), stored))

    assert reply.message is stored


async def test_fixed_response_is_sticky_and_empty_fixes_nothing() -> None:
    model = PassthroughModel()
    assert (await model.complete(ask(Message.user("***FIXED_RESPONSE foo")))).message.text == "foo"
    assert (await model.complete(ask(Message.user("anything")))).message.text == "foo"

    empty = PassthroughModel()
    reply = await empty.complete(ask(Message.user("***FIXED_RESPONSE")))
    assert reply.message.text == "***FIXED_RESPONSE"
    assert (await empty.complete(ask(Message.user("echo me")))).message.text == "echo me"


async def test_call_tool_asks_for_a_tool_call_with_counted_ids() -> None:
    model = PassthroughModel()

    first = await model.complete(ask(Message.user('***CALL_TOOL lookup {"id": 3}')))
    second = await model.complete(ask(Message.user("***CALL_TOOL ping")))

    assert first.stop_reason is StopReason.TOOL_USE
    assert first.message.tool_calls == (ToolCall("correlationId0", "lookup", {"id": 3}),)
    assert first.message.text == '***CALL_TOOL lookup {"id": 3}'
    assert second.message.tool_calls == (ToolCall("correlationId1", "ping", {}),)


async def test_call_tool_with_bad_json_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^Invalid JSON arguments: \{nope$"):
        await PassthroughModel().complete(ask(Message.user("***CALL_TOOL lookup {nope")))


async def test_tool_results_are_joined_with_spaces_and_empty_shown() -> None:
    results = Message("user", (ToolResult("a", "first"), ToolResult("b", "")))

    reply = await PassthroughModel().complete(ask(results))

    assert reply.message.text == "first <empty>"
    assert reply.stop_reason is StopReason.END_TURN


async def test_fixed_response_with_a_tool_call() -> None:
    model = PassthroughModel()
    await model.complete(ask(Message.user("***FIXED_RESPONSE done")))

    reply = await model.complete(ask(Message.user("***CALL_TOOL ping")))

    assert reply.message.text == "done"
    assert reply.message.tool_calls == (ToolCall("correlationId0", "ping", {}),)


async def test_playback_loads_then_replays_assistant_messages_then_runs_out() -> None:
    model = PlaybackModel()
    loaded = await model.complete(
        ask(
            Message.user("q1"), Message.assistant("a1"), Message.user("q2"), Message.assistant("a2")
        )
    )
    assert loaded.message.text == "HISTORY LOADED (4) messages"

    replies = [(await model.complete(ask(Message.user("ignored")))).message.text for _ in range(6)]

    assert replies == [
        "a1",
        "a2",
        "MESSAGES EXHAUSTED (list size 4) (0 overage)",
        "MESSAGES EXHAUSTED (list size 4) (1 overage)",
        "MESSAGES EXHAUSTED (list size 4) (2 overage)",
        "MESSAGES EXHAUSTED (list size 4) (3 overage)",
    ]


async def test_playback_appends_a_single_message_and_keeps_tool_calls() -> None:
    call = Message.assistant(ToolCall("t1", "lookup", {"q": "x"}), stop_reason=StopReason.TOOL_USE)
    model = PlaybackModel()
    assert (await model.complete(ask(call))).message.text == "HISTORY LOADED (1) messages"
    assert (await model.complete(ask(Message.user("go")))).message is call

    preloaded = PlaybackModel([Message.user("q"), Message.assistant("begin")])
    deltas: list[object] = []
    reply = await preloaded.stream(ask(Message.user("anything")), deltas.append)
    assert reply.message.text == "begin"
    assert deltas == [TextDelta("begin")]


async def test_a_playback_folder_replays_the_recording_the_input_opens(tmp_path: Path) -> None:
    folder = tmp_path / "router"
    folder.mkdir()
    billing = [Message.user("charged twice"), Message.assistant("billing"), Message.assistant("+")]
    save_history(folder / "billing.yaml", billing)
    save_history(folder / "tech.json", [Message.user("it crashes"), Message.assistant("tech")])
    (folder / "README.txt").write_text("not a recording", encoding="utf-8")
    catalog = ModelCatalog(PlaitConfig(base_dir=tmp_path))

    tech = catalog.client("playback?history=router")
    first = await tech.complete(ask(Message.user("it crashes")))
    later = await tech.complete(ask(Message.user("it crashes"), first.message, Message.user("?")))
    billed = catalog.client("playback?history=router")
    replies = [(await billed.complete(ask(Message.user(" charged twice ")))).message.text]
    replies.append((await billed.complete(ask(Message.user("anything")))).message.text)

    assert first.message.text == "tech"
    assert later.message.text == "MESSAGES EXHAUSTED (list size 2) (0 overage)"
    assert replies == ["billing", "+"]  # chosen once, by the opening message, then replayed
    unknown = catalog.client("playback?history=router")
    with pytest.raises(ConfigError, match="recorded: 'charged twice', 'it crashes'"):
        await unknown.complete(ask(Message.user("hello")))


def test_two_recordings_that_open_alike_are_a_config_error(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        save_history(tmp_path / name, [Message.user("same"), Message.assistant(name)])
    catalog = ModelCatalog(PlaitConfig(base_dir=tmp_path.parent))

    with pytest.raises(ConfigError, match=r"a\.yaml and b\.yaml both open with 'same'"):
        catalog.client(f"playback?history={tmp_path.name}")


async def test_scripted_model_replies_in_order_and_records_requests() -> None:
    boom = RuntimeError("scripted failure")
    model = ScriptedModel(
        [
            "plain",
            Message.assistant(ToolCall("c", "t", {"a": 1})),
            boom,
            lambda r: f"saw {len(r.messages)}",
        ]
    )
    first = await model.complete(ask(Message.user("1")))
    deltas: list[object] = []
    second = await model.stream(ask(Message.user("2")), deltas.append)

    assert first.message.text == "plain"
    assert second.stop_reason is StopReason.TOOL_USE
    assert "".join(getattr(d, "arguments", "") for d in deltas) == '{"a": 1}'
    with pytest.raises(RuntimeError, match="scripted failure"):
        await model.complete(ask(Message.user("3")))
    fourth = await model.complete(ask(Message.user("4"), Message.user("5")))
    assert fourth.message.text == "saw 2"
    assert len(model.requests) == 4
    with pytest.raises(RuntimeError, match="no reply left for request 5"):
        await model.complete(ask(Message.user("6")))
