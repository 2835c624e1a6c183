"""The Anthropic provider: the real SDK against a fake Messages API on a loopback socket."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from plait import GraphBuilder
from plait.engine import Event, NodeReported
from plait.nodes import (
    AnthropicModel,
    AuthenticationError,
    ContextTooLongError,
    Message,
    ModelRequest,
    NodeFailedError,
    OutputSchema,
    OverloadedError,
    Pricing,
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
from tests.fakes import anthropic_api as api
from tests.fakes.server import FakeServer, running_server

pytestmark = pytest.mark.anyio

KEY = "sk-ant-test-0123456789-SECRET"
WEATHER = ToolSpec("get_weather", "The weather in a city.", {"type": "object", "properties": {}})


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with running_server() as running:
        yield running


def claude(server: FakeServer, **options: str) -> AnthropicModel:
    return AnthropicModel(
        "claude-sonnet-5", api_key=Secret(KEY), base_url=server.url, options=options
    )


async def test_a_text_reply_and_the_request_it_came_from(server: FakeServer) -> None:
    server.script(api.message(api.text("Hello there.")))
    request = ModelRequest(
        messages=(Message.system("Extra rule."), Message.user("Hi")),
        system="Be brief.",
        tools=(WEATHER,),
        parallel_tool_calls=False,
    )

    response = await claude(server).complete(request)

    assert response.message.text == "Hello there."
    assert response.stop_reason is StopReason.END_TURN
    assert (response.usage.input_tokens, response.usage.output_tokens) == (12, 7)
    assert response.model == "anthropic.claude-sonnet-5"
    [seen] = server.requests
    assert seen.path == "/v1/messages"
    assert KEY in (seen.headers.get("authorization", "") + seen.headers.get("x-api-key", ""))
    assert seen.body["system"] == "Be brief.\n\nExtra rule."
    assert seen.body["messages"] == [{"role": "user", "content": [api.text("Hi")]}]
    assert seen.body["tools"] == [
        {
            "name": "get_weather",
            "description": "The weather in a city.",
            "input_schema": {"type": "object", "properties": {}},
        }
    ]
    assert seen.body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert seen.body["max_tokens"] == 4096


async def test_tool_calls_and_results_travel_in_the_wire_format(server: FakeServer) -> None:
    server.script(
        api.message(
            api.text("Checking."),
            api.tool_use("toolu_1", "get_weather", {"city": "Paris"}),
            stop_reason="tool_use",
        ),
        api.message(api.text("Sunny.")),
    )
    model = claude(server)
    first = await model.complete(
        ModelRequest(messages=(Message.user("Weather?"),), tools=(WEATHER,))
    )
    assert first.stop_reason is StopReason.TOOL_USE
    assert first.message.tool_calls == (ToolCall("toolu_1", "get_weather", {"city": "Paris"}),)

    follow = (
        Message.user("Weather?"),
        first.message,
        Message("user", (ToolResult("toolu_1", "sunny, 21C"),)),
    )
    second = await model.complete(ModelRequest(messages=follow, tools=(WEATHER,)))

    assert second.message.text == "Sunny."
    sent = server.requests[1].body["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": [
            api.text("Checking."),
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
        ],
    }
    assert sent[2] == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "content": "sunny, 21C",
                "is_error": False,
            }
        ],
    }


async def test_streaming_delivers_text_and_tool_argument_deltas(server: FakeServer) -> None:
    server.script(
        api.stream(
            api.text("Let me check."),
            api.tool_use("toolu_9", "get_weather", {"city": "Paris"}),
            stop_reason="tool_use",
        )
    )
    deltas: list[object] = []

    response = await claude(server).stream(
        ModelRequest(messages=(Message.user("Weather?"),), tools=(WEATHER,)), deltas.append
    )

    assert server.requests[0].body["stream"] is True
    assert [d.text for d in deltas if isinstance(d, TextDelta)] == ["Let me", " check."]
    calls = [d for d in deltas if isinstance(d, ToolCallDelta)]
    assert calls[0] == ToolCallDelta(1, "toolu_9", "get_weather", "")
    assert "".join(d.arguments for d in calls) == '{"city": "Paris"}'
    assert response.message.text == "Let me check."
    assert response.message.tool_calls == (ToolCall("toolu_9", "get_weather", {"city": "Paris"}),)
    assert response.stop_reason is StopReason.TOOL_USE
    assert response.usage.output_tokens == 7


async def test_rate_limited_carries_retry_after_and_the_sdk_does_not_retry(
    server: FakeServer,
) -> None:
    server.script(api.error(429, "rate_limit_error", "slow down", {"retry-after": "7"}))

    with pytest.raises(RateLimitedError) as caught:
        await claude(server).complete(ModelRequest(messages=(Message.user("Hi"),)))

    assert caught.value.retry_after == 7.0
    assert caught.value.status == 429
    assert "slow down" in str(caught.value)
    assert len(server.requests) == 1  # max_retries=0: plait's policy is the one that retries
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)


async def test_retry_after_ms_wins_over_retry_after(server: FakeServer) -> None:
    headers = {"retry-after-ms": "250", "retry-after": "9"}
    server.script(api.error(429, "rate_limit_error", "slow down", headers))

    with pytest.raises(RateLimitedError) as caught:
        await claude(server).complete(ModelRequest(messages=(Message.user("Hi"),)))

    assert caught.value.retry_after == 0.25


async def test_overloaded_529(server: FakeServer) -> None:
    server.script(api.error(529, "overloaded_error", "Overloaded"))

    with pytest.raises(OverloadedError) as caught:
        await claude(server).stream(ModelRequest(messages=(Message.user("Hi"),)), lambda d: None)

    assert caught.value.status == 529
    assert caught.value.error_type == "overloaded_error"


async def test_an_error_in_the_middle_of_a_stream(server: FakeServer) -> None:
    server.script(api.stream(api.text("Hello world"), error_after=3))
    deltas: list[object] = []

    with pytest.raises(StreamInterruptedError) as caught:
        await claude(server).stream(ModelRequest(messages=(Message.user("Hi"),)), deltas.append)

    assert deltas == [TextDelta("Hello")]
    assert caught.value.error_type == "overloaded_error"
    assert caught.value.status is None


async def test_authentication_failure_never_shows_the_key(server: FakeServer) -> None:
    server.script(api.error(401, "authentication_error", "invalid x-api-key"))

    with pytest.raises(AuthenticationError) as caught:
        await claude(server).complete(ModelRequest(messages=(Message.user("Hi"),)))

    assert caught.value.status == 401
    chain = [caught.value, caught.value.__cause__]
    assert all(KEY not in str(error) and KEY not in repr(error) for error in chain)


async def test_a_prompt_too_long_is_context_too_long(server: FakeServer) -> None:
    server.script(api.error(400, "invalid_request_error", "prompt is too long: 250000 tokens"))

    with pytest.raises(ContextTooLongError):
        await claude(server).complete(ModelRequest(messages=(Message.user("Hi"),)))


async def test_reasoning_structured_output_and_sampling_options(server: FakeServer) -> None:
    server.script(api.message(api.text('{"a": 1}')), api.message(api.text("ok")))
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    request = ModelRequest(messages=(Message.user("Hi"),), output=OutputSchema("Thing", schema))

    await claude(server, reasoning="high", temperature="0.2").complete(request)
    await claude(server, reasoning="2048").complete(ModelRequest(messages=(Message.user("Hi"),)))

    first, second = (seen.body for seen in server.requests)
    assert first["thinking"] == {"type": "adaptive"}
    assert first["output_config"] == {
        "effort": "high",
        "format": {"type": "json_schema", "schema": schema},
    }
    assert first["temperature"] == 0.2
    assert second["thinking"] == {"type": "enabled", "budget_tokens": 2048}


async def test_the_agent_loop_end_to_end_in_a_graph(server: FakeServer) -> None:
    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    server.script(
        api.stream(
            api.text("Checking."),
            api.tool_use("toolu_1", "get_weather", {"city": "Paris"}),
            stop_reason="tool_use",
        ),
        api.stream(api.text("It is sunny in Paris.")),
    )
    weather = agent(
        "weather",
        model=claude(server),
        instructions="Answer about the weather in {city}.",
        inputs={"city": str},
        tools=[get_weather],
    )
    b = GraphBuilder("weather", inputs={"city": str})
    graph = b.build(b.add(weather, inputs={"city": "inputs.city"}))
    events: list[Event] = []

    result = await graph.run({"city": "Paris"}, listeners=(events.append,))

    assert result.output == "It is sunny in Paris."
    second = server.requests[1].body
    assert second["system"] == "Answer about the weather in Paris."
    assert second["messages"][-1]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_1",
            "content": "sunny in Paris",
            "is_error": False,
        }
    ]
    kinds = [e.kind for e in events if isinstance(e, NodeReported)]
    assert kinds.count("token") == 4
    assert "tool_call" in kinds
    assert "tool_result" in kinds
    assert kinds.count("usage") == 2
    assert all(KEY not in repr(event) for event in events)


async def test_a_failing_provider_fails_the_node_with_the_mapped_error(server: FakeServer) -> None:
    server.script(api.error(401, "authentication_error", "invalid key"))
    b = GraphBuilder("auth", inputs={"message": str})
    graph = b.build(b.add(agent("ask", model=claude(server)), inputs={"message": "inputs.message"}))

    result = await graph.run({"message": "hi"})

    assert isinstance(result.error, NodeFailedError)
    assert isinstance(result.error.__cause__, AuthenticationError)
    assert result.error.attempts == 1  # authentication is final: not retried
    assert KEY not in str(result.error)


async def test_cached_tokens_count_as_input_as_openai_counts_them(server: FakeServer) -> None:
    reply = api.message(api.text("Cached."))
    assert reply.body is not None
    usage_sent = {
        "input_tokens": 10,
        "output_tokens": 4,
        "cache_read_input_tokens": 1000,
        "cache_creation_input_tokens": 200,
    }
    server.script(dataclasses.replace(reply, body={**reply.body, "usage": usage_sent}))

    response = await claude(server).complete(ModelRequest(messages=(Message.user("Hi"),)))

    usage = response.usage
    assert usage.input_tokens == 1210  # every prompt token, cached ones included
    assert (usage.cache_read_tokens, usage.cache_write_tokens) == (1000, 200)
    price = Pricing(input=3.0, output=15.0, cache_read=0.3)
    # 210 fresh prompt tokens at 3.0, 1000 cached at 0.3, 4 output at 15.0 (per million)
    assert price.cost(usage) == pytest.approx((210 * 3.0 + 1000 * 0.3 + 4 * 15.0) / 1e6)
