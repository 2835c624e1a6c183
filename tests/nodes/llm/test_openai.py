"""The OpenAI provider: the real SDK against fake Responses and Chat Completions APIs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pytest
from pydantic import BaseModel

from plait import GraphBuilder
from plait.engine import Event, NodeReported
from plait.nodes import (
    AuthenticationError,
    ContextTooLongError,
    Message,
    ModelRequest,
    OpenAIModel,
    OverloadedError,
    ProviderServerError,
    RateLimitedError,
    Secret,
    StopReason,
    StreamInterruptedError,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolResult,
    ToolSpec,
    agent,
    tool,
)
from tests.fakes import openai_api as api
from tests.fakes.server import FakeServer, running_server

pytestmark = [
    pytest.mark.anyio,
    # On trio, the SDK's Chat Completions stream stops at `[DONE]` without closing its inner
    # SSE generators; trio then warns as it finalizes them. That is the SDK's, not plait's.
    pytest.mark.filterwarnings("ignore:Async generator 'openai\\.:ResourceWarning"),
]

KEY = "sk-proj-test-SECRET-9876543210"
WEATHER = ToolSpec("get_weather", "The weather in a city.", {"type": "object", "properties": {}})


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with running_server() as running:
        yield running


def gpt(
    server: FakeServer, api_kind: Literal["responses", "chat"] = "responses", **options: str
) -> OpenAIModel:
    return OpenAIModel(
        "gpt-5.5", api_key=Secret(KEY), base_url=f"{server.url}/v1", api=api_kind, options=options
    )


async def test_responses_text_reply_and_request(server: FakeServer) -> None:
    server.script(api.response(api.output_message("Hello.")))
    request = ModelRequest(
        messages=(Message.user("Hi"),), system="Be brief.", tools=(WEATHER,), tool_choice="any"
    )

    response = await gpt(server, reasoning="high").complete(request)

    assert response.message.text == "Hello."
    assert (response.usage.input_tokens, response.usage.output_tokens) == (20, 9)
    [seen] = server.requests
    assert seen.path == "/v1/responses"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.body["instructions"] == "Be brief."
    # One text part travels in the API's short form, a plain string.
    assert seen.body["input"] == [{"role": "user", "content": "Hi"}]
    assert seen.body["tools"][0]["name"] == "get_weather"
    assert seen.body["tool_choice"] == "required"
    assert seen.body["reasoning"] == {"effort": "high"}
    assert seen.body["store"] is False


async def test_responses_tool_round_trip(server: FakeServer) -> None:
    server.script(
        api.response(api.function_call("call_1", "get_weather", {"city": "Paris"})),
        api.response(api.output_message("Sunny.")),
    )
    model = gpt(server)
    first = await model.complete(
        ModelRequest(messages=(Message.user("Weather?"),), tools=(WEATHER,))
    )
    assert first.stop_reason is StopReason.TOOL_USE
    assert first.message.tool_calls == (ToolCall("call_1", "get_weather", {"city": "Paris"}),)

    follow = (
        Message.user("Weather?"),
        first.message,
        Message("user", (ToolResult("call_1", "sunny"),)),
    )
    await model.complete(ModelRequest(messages=follow, tools=(WEATHER,)))

    items = server.requests[1].body["input"]
    assert items[1] == {
        "type": "function_call",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
    }
    assert items[2] == {"type": "function_call_output", "call_id": "call_1", "output": "sunny"}


async def test_responses_streaming_with_tool_argument_deltas(server: FakeServer) -> None:
    server.script(
        api.response_stream(
            api.output_message("Let me check."),
            api.function_call("call_9", "get_weather", {"city": "Paris"}),
        )
    )
    deltas: list[object] = []

    response = await gpt(server).stream(
        ModelRequest(messages=(Message.user("Weather?"),), tools=(WEATHER,)), deltas.append
    )

    assert "".join(d.text for d in deltas if isinstance(d, TextDelta)) == "Let me check."
    calls = [d for d in deltas if isinstance(d, ToolCallDelta)]
    assert calls[0] == ToolCallDelta(1, "call_9", "get_weather", "")
    assert "".join(d.arguments for d in calls) == '{"city": "Paris"}'
    assert len(calls) == 3
    assert response.message.tool_calls == (ToolCall("call_9", "get_weather", {"city": "Paris"}),)
    assert response.usage.output_tokens == 9


async def test_responses_error_event_mid_stream(server: FakeServer) -> None:
    server.script(api.response_stream(api.output_message("Hello world"), error_after=4))
    deltas: list[object] = []

    with pytest.raises(StreamInterruptedError) as caught:
        await gpt(server).stream(ModelRequest(messages=(Message.user("Hi"),)), deltas.append)

    assert deltas == [TextDelta("Hello")]
    assert caught.value.error_type == "server_error"
    assert "boom" in str(caught.value)


async def test_chat_completions_for_compatible_servers(server: FakeServer) -> None:
    server.script(
        api.completion(
            tool_calls=[("call_1", "get_weather", {"city": "Paris"})], finish_reason="tool_calls"
        ),
        api.completion("Tool said: sunny"),
    )
    model = OpenAIModel(
        "llama3.2:latest",
        api_key=Secret(KEY),
        base_url=f"{server.url}/v1",
        api="chat",
        provider="generic",
    )
    first = await model.complete(
        ModelRequest(messages=(Message.user("Weather?"),), system="Brief.", tools=(WEATHER,))
    )
    follow = (
        Message.user("Weather?"),
        first.message,
        Message("user", (ToolResult("call_1", "sunny"),)),
    )
    second = await model.complete(ModelRequest(messages=follow, max_tokens=50))

    assert first.message.tool_calls == (ToolCall("call_1", "get_weather", {"city": "Paris"}),)
    assert second.message.text == "Tool said: sunny"
    assert model.name == "generic.llama3.2:latest"
    body = server.requests[1].body
    assert server.requests[1].path == "/v1/chat/completions"
    assert body["messages"][1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    }
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
    assert body["max_tokens"] == 50
    assert server.requests[0].body["messages"][0] == {"role": "system", "content": "Brief."}


async def test_chat_streaming_accumulates_tool_calls_by_index(server: FakeServer) -> None:
    server.script(
        api.completion_stream(
            "Checking.",
            tool_calls=[("call_7", "get_weather", {"city": "Oslo"})],
            finish_reason="tool_calls",
        )
    )
    deltas: list[object] = []

    response = await gpt(server, "chat").stream(
        ModelRequest(messages=(Message.user("Hi"),)), deltas.append
    )

    assert server.requests[0].body["stream_options"] == {"include_usage": True}
    assert "".join(d.text for d in deltas if isinstance(d, TextDelta)) == "Checking."
    assert [d.arguments for d in deltas if isinstance(d, ToolCallDelta)] == [
        "",
        '{"city":',
        ' "Oslo"}',
    ]
    assert response.message.tool_calls == (ToolCall("call_7", "get_weather", {"city": "Oslo"}),)
    assert response.stop_reason is StopReason.TOOL_USE
    assert response.usage.input_tokens == 15


async def test_chat_error_mid_stream(server: FakeServer) -> None:
    server.script(api.completion_stream("Hello world", error_after=2))

    with pytest.raises(StreamInterruptedError) as caught:
        await gpt(server, "chat").stream(
            ModelRequest(messages=(Message.user("Hi"),)), lambda d: None
        )

    assert "server overloaded" in str(caught.value)


async def test_rate_limited_with_retry_after_and_no_sdk_retry(server: FakeServer) -> None:
    server.script(
        api.error(
            429, "requests", "Rate limit reached", "rate_limit_exceeded", {"retry-after": "600"}
        )
    )

    with pytest.raises(RateLimitedError) as caught:
        await gpt(server).complete(ModelRequest(messages=(Message.user("Hi"),)))

    assert caught.value.retry_after == 600.0  # honoured in full, unlike the SDK's 120 s cap
    assert len(server.requests) == 1
    assert KEY not in str(caught.value)


async def test_insufficient_quota_is_not_worth_waiting_for(server: FakeServer) -> None:
    server.script(
        api.error(429, "insufficient_quota", "You exceeded your quota", "insufficient_quota")
    )

    with pytest.raises(AuthenticationError):
        await gpt(server).complete(ModelRequest(messages=(Message.user("Hi"),)))


async def test_overloaded_and_server_errors(server: FakeServer) -> None:
    server.script(
        api.error(503, "server_error", "The engine is currently overloaded"),
        api.error(500, "server_error", "Internal error"),
    )

    with pytest.raises(OverloadedError):
        await gpt(server).complete(ModelRequest(messages=(Message.user("Hi"),)))
    with pytest.raises(ProviderServerError):
        await gpt(server).complete(ModelRequest(messages=(Message.user("Hi"),)))


async def test_authentication_failure_and_context_too_long(server: FakeServer) -> None:
    server.script(
        api.error(401, "invalid_request_error", "Incorrect API key provided", "invalid_api_key"),
        api.error(400, "invalid_request_error", "too long", "context_length_exceeded"),
    )

    with pytest.raises(AuthenticationError) as caught:
        await gpt(server).complete(ModelRequest(messages=(Message.user("Hi"),)))
    with pytest.raises(ContextTooLongError):
        await gpt(server).complete(ModelRequest(messages=(Message.user("Hi"),)))
    assert KEY not in str(caught.value)
    assert KEY not in str(caught.value.__cause__)


class Verdict(BaseModel):
    label: Literal["spam", "ham"]
    confidence: float


async def test_agent_with_structured_output_end_to_end_on_responses(server: FakeServer) -> None:
    @tool
    def sender_reputation(address: str) -> float:
        """How trustworthy a sender is, from 0 to 1."""
        return 0.1

    server.script(
        api.response_stream(api.function_call("call_1", "sender_reputation", {"address": "x@y.z"})),
        api.response_stream(api.output_message('{"label": "spam", "confidence": 0.9}')),
    )
    classify = agent(
        "classify",
        model=gpt(server),
        inputs={"email": str},
        instructions="Classify the email.",
        tools=[sender_reputation],
        output=Verdict,
    )
    b = GraphBuilder("mail", inputs={"email": str})
    graph = b.build(b.add(classify, inputs={"email": "inputs.email"}))
    events: list[Event] = []

    result = await graph.run({"email": "WIN NOW"}, listeners=(events.append,))

    assert result.output == Verdict(label="spam", confidence=0.9)
    body = server.requests[1].body
    assert body["text"]["format"]["type"] == "json_schema"
    assert body["text"]["format"]["schema"]["required"] == ["label", "confidence"]
    assert body["input"][-1] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": "0.1",
    }
    reported = [(e.kind, dict(e.data)) for e in events if isinstance(e, NodeReported)]
    assert (
        "tool_result",
        {"id": "call_1", "name": "sender_reputation", "is_error": False, "content": "0.1"},
    ) in reported
