"""Messages round-trip through JSON and YAML files, tool calls and results kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plait.nodes import (
    Image,
    Message,
    StopReason,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
    Usage,
    load_history,
    save_history,
)

CONVERSATION = (
    Message.system("Be brief."),
    Message.user("Weather in Paris?", Image("image/png", data="aGk=")),
    Message.assistant(
        Thinking("Need the tool.", signature="sig"),
        "Checking.",
        ToolCall("toolu_1", "get_weather", {"city": "Paris", "days": [1, 2]}),
        stop_reason=StopReason.TOOL_USE,
    ),
    Message(
        "user", (ToolResult("toolu_1", "sunny", name="get_weather"), ToolResult("x", "bad", True))
    ),
    Message.assistant("Sunny.", stop_reason=StopReason.END_TURN),
)


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_history_round_trips_through_files(tmp_path: Path, suffix: str) -> None:
    path = save_history(tmp_path / f"history{suffix}", CONVERSATION)

    assert load_history(path) == CONVERSATION
    if suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["messages"][2]["content"][2] == {
            "type": "tool_call",
            "id": "toolu_1",
            "name": "get_weather",
            "arguments": {"city": "Paris", "days": [1, 2]},
        }
        assert data["messages"][2]["stop_reason"] == "toolUse"
    else:
        assert "tool_call" in path.read_text(encoding="utf-8")


def test_hand_written_yaml_may_use_plain_string_content(tmp_path: Path) -> None:
    path = tmp_path / "fixture.yaml"
    path.write_text(
        "messages:\n  - role: user\n    content: hi\n  - role: assistant\n    content: hello\n"
    )

    assert load_history(path) == (Message.user("hi"), Message.assistant("hello"))


def test_fast_agent_json_histories_load_with_tool_calls(tmp_path: Path) -> None:
    path = tmp_path / "fast-agent.json"
    data = {
        "messages": [
            {
                "role": "assistant",
                "content": [],
                "stop_reason": "toolUse",
                "tool_calls": {
                    "toolu_017": {
                        "method": "tools/call",
                        "params": {"name": "weather", "arguments": {"city": "Paris"}},
                    }
                },
            },
            {
                "role": "user",
                "content": [],
                "tool_results": {
                    "toolu_017": {"content": [{"type": "text", "text": "sunny"}], "isError": False}
                },
            },
        ]
    }
    path.write_text(json.dumps(data))

    call, result = load_history(path)

    assert call.stop_reason is StopReason.TOOL_USE
    assert call.tool_calls == (ToolCall("toolu_017", "weather", {"city": "Paris"}),)
    assert result.tool_results == (ToolResult("toolu_017", "sunny"),)


def test_bad_histories_say_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": [{"type": "video"}]}]}))

    with pytest.raises(
        ValueError, match=r"bad\.json: \$\.messages\[0\]\.content\[0\]\.type: unknown"
    ):
        load_history(path)
    path.write_text(json.dumps({"messages": [{"role": "robot"}]}))
    with pytest.raises(ValueError, match=r"\$\.messages\[0\]\.role: expected one of"):
        load_history(path)
    (tmp_path / "broken.yaml").write_text("messages: [\n")
    with pytest.raises(ValueError, match="invalid YAML at line"):
        load_history(tmp_path / "broken.yaml")


def test_message_helpers_and_usage_sums() -> None:
    message = CONVERSATION[2]
    assert message.text == "Checking."
    assert message.first_text() == "Checking."
    assert Message.user().first_text() == ""
    assert isinstance(Message.user("a").parts[0], Text)
    total = Usage(1, 2, requests=1) + Usage(3, 4, cache_read_tokens=1, requests=1)
    assert total == Usage(4, 6, cache_read_tokens=1, requests=2)
    assert total.total_tokens == 10
