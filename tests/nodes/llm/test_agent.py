"""Agent nodes: templates, the tool loop, structured output and repair, routers, memory."""

from __future__ import annotations

from typing import Literal

import anyio
import pytest
from pydantic import BaseModel

from plait import GraphBuilder, ManualClock, RunOptions
from plait.engine import Event, NodeReported, NodeRetrying
from plait.nodes import (
    AgentNode,
    ConversationMemory,
    DefinitionError,
    Message,
    ModelCatalog,
    NodeFailedError,
    OutputValidationError,
    OverloadedError,
    PassthroughModel,
    PlaitConfig,
    PlaybackModel,
    RateLimitedError,
    ScriptedModel,
    StopReason,
    ToolCall,
    ToolLoopLimitError,
    Usage,
    agent,
    save_history,
    tool,
)

pytestmark = pytest.mark.anyio


@tool
def lookup(order: int) -> str:
    """Find an order's status."""
    return f"order {order}: shipped"


def call(name: str, arguments: dict[str, object], id: str = "") -> Message:
    return Message.assistant(ToolCall(id or f"call_{name}", name, arguments))


async def test_templates_fill_from_inputs_and_the_result_carries_usage_and_cost() -> None:
    model = ScriptedModel(["Hello Ada."], name="openai.gpt-4.1")
    greet = agent(
        "greet",
        model=model,
        instructions="Greet {person.name} in {language}.",
        prompt="Say hi to {person.name} ({person})",
        inputs={"person": dict, "language": str},
        models=ModelCatalog(),
    )

    result = await greet.run({"person": {"name": "Ada"}, "language": "English"})

    request = model.requests[0]
    assert request.system == "Greet Ada in English."
    assert request.messages == (Message.user('Say hi to Ada ({"name": "Ada"})'),)
    assert result.output == "Hello Ada."
    assert result.usage == Usage(input_tokens=10, output_tokens=5, requests=1)
    assert result.cost == pytest.approx((10 * 2.0 + 5 * 8.0) / 1_000_000)
    assert result.model == "openai.gpt-4.1"


async def test_the_tool_loop_runs_tools_and_reports_everything_as_events() -> None:
    model = ScriptedModel([call("lookup", {"order": 7}), "Your order shipped."])
    support = agent("support", model=model, inputs={"question": str}, tools=[lookup])
    b = GraphBuilder("support", inputs={"question": str})
    graph = b.build(b.add(support, inputs={"question": "inputs.question"}))
    events: list[Event] = []

    result = await graph.run({"question": "Where is order 7?"}, listeners=(events.append,))

    assert result.output == "Your order shipped."
    second = model.requests[1]
    assert second.messages[-1].tool_results[0].content == "order 7: shipped"
    assert second.tools[0].name == "lookup"
    reported = [(e.kind, dict(e.data)) for e in events if isinstance(e, NodeReported)]
    assert (
        "tool_call",
        {"id": "call_lookup", "name": "lookup", "arguments": {"order": 7}},
    ) in reported
    tokens = "".join(str(data["text"]) for kind, data in reported if kind == "token")
    assert tokens == "Your order shipped."
    usage = [data for kind, data in reported if kind == "usage"]
    assert len(usage) == 2
    assert usage[0]["input_tokens"] == 10
    assert usage[0]["cost"] == 0.0


async def test_parallel_tool_calls_run_concurrently_in_order() -> None:
    running = 0
    peak = 0

    @tool
    async def slow(n: int) -> int:
        """Take a moment."""
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.01)
        running -= 1
        return n * 10

    calls = Message.assistant(*(ToolCall(f"c{n}", "slow", {"n": n}) for n in range(3)))
    model = ScriptedModel([calls, "done"])

    await agent("fan", model=model, tools=[slow]).run({"message": "go"})

    assert peak == 3
    assert [r.content for r in model.requests[1].messages[-1].tool_results] == ["0", "10", "20"]
    sequential = ScriptedModel([calls, "done"])
    peak = 0
    await agent("one", model=sequential, tools=[slow], parallel_tool_calls=False).run(
        {"message": "go"}
    )
    assert peak == 1


async def test_bad_arguments_and_unknown_tools_go_back_to_the_model() -> None:
    model = ScriptedModel(
        [
            Message.assistant(
                ToolCall("a", "lookup", {"order": "seven"}), ToolCall("b", "delete_all", {})
            ),
            "Sorry.",
        ]
    )

    result = await agent("careful", model=model, tools=[lookup]).run({"message": "hi"})

    assert result.output == "Sorry."
    bad, unknown = model.requests[1].messages[-1].tool_results
    assert bad.is_error
    assert "`order`: Input should be a valid integer" in bad.content
    assert unknown.is_error
    assert unknown.content == "Unknown tool `delete_all`: this agent may call `lookup`."


async def test_the_tool_loop_stops_at_max_iterations() -> None:
    model = ScriptedModel([call("lookup", {"order": 1})] * 3)
    looping = agent("loop", model=model, tools=[lookup], max_iterations=2)

    with pytest.raises(ToolLoopLimitError, match="still called tools after 2 rounds"):
        await looping.run({"message": "hi"})
    assert len(model.requests) == 3


class Ticket(BaseModel):
    category: Literal["billing", "tech"]
    urgent: bool


async def test_structured_output_is_validated_and_asked_for_with_a_schema() -> None:
    model = ScriptedModel(['```json\n{"category": "tech", "urgent": true}\n```'])
    classify = agent("classify", model=model, output=Ticket)

    result = await classify.run({"message": "Server down!"})

    assert result.output == Ticket(category="tech", urgent=True)
    assert not result.repaired
    schema = model.requests[0].output
    assert schema is not None
    assert schema.name == "Ticket"
    assert schema.schema["required"] == ["category", "urgent"]


async def test_the_output_schema_is_built_once_per_type_not_once_a_call() -> None:
    model = ScriptedModel(['{"category": "tech", "urgent": true}'] * 2)
    classify = agent("classify", model=model, output=Ticket)

    await classify.run({"message": "one"})
    await classify.run({"message": "two"})

    first, second = (request.output for request in model.requests)
    assert first is not None
    assert first is second  # the same object: nothing rebuilt


async def test_an_invalid_output_gets_one_repair_round() -> None:
    model = ScriptedModel(['{"category": "sales"}', '{"category": "billing", "urgent": false}'])

    result = await agent("classify", model=model, output=Ticket).run({"message": "Invoice?"})

    assert result.output == Ticket(category="billing", urgent=False)
    assert result.repaired
    repair = model.requests[1].messages[-1]
    assert repair.role == "user"
    assert repair.text.startswith("Your reply does not match the required output (Ticket):")
    assert "`category`: Input should be 'billing' or 'tech'" in repair.text
    assert model.requests[1].messages[-2].text == '{"category": "sales"}'


async def test_a_second_invalid_output_is_a_clear_error() -> None:
    model = ScriptedModel(["not json", "still not json"])
    classify = agent("classify", model=model, output=Ticket)
    b = GraphBuilder("classify", inputs={"message": str})
    graph = b.build(b.add(classify, inputs={"message": "inputs.message"}))

    result = await graph.run({"message": "?"})

    assert isinstance(result.error, NodeFailedError)
    error = result.error.__cause__
    assert isinstance(error, OutputValidationError)
    assert error.node == "classify"
    assert error.expected == "Ticket"
    assert "after one repair round" in str(error)
    assert "'still not json'" in str(error)
    assert result.error.attempts == 1  # a wrong reply is not a transient failure


async def test_an_agent_with_label_output_is_an_llm_router() -> None:
    model = ScriptedModel(['{"value": "billing"}'])
    triage = agent("triage", model=model, inputs={"ticket": str}, output=Literal["billing", "tech"])

    async def billing(ticket: str) -> str:
        return f"billing: {ticket}"

    async def tech(ticket: str) -> str:
        return f"tech: {ticket}"

    b = GraphBuilder("support", inputs={"ticket": str})
    router = b.add(triage, inputs={"ticket": "inputs.ticket"})
    bill = b.add(billing, inputs={"ticket": "inputs.ticket"})
    fix = b.add(tech, inputs={"ticket": "inputs.ticket"})
    b.route(router, {"billing": bill, "tech": fix})
    graph = b.build(b.join("answer", inputs={"billing": bill, "tech": fix}))

    result = await graph.run({"ticket": "invoice twice"})

    assert result.output == {"billing": "billing: invoice twice"}
    assert result.nodes["tech"].status.value == "skipped"
    schema = model.requests[0].output
    assert schema is not None
    assert schema.schema["properties"] == {"value": {"enum": ["billing", "tech"], "type": "string"}}
    bare = ScriptedModel(["tech"])
    assert (await triage.with_model(bare).run({"ticket": "x"})).output == "tech"


async def test_transient_provider_errors_are_retried_honouring_retry_after() -> None:
    model = ScriptedModel(
        [
            RateLimitedError("slow down", provider="scripted", status=429, retry_after=7.0),
            OverloadedError("busy", provider="scripted", status=529),
            "finally",
        ]
    )
    b = GraphBuilder("retry", inputs={"message": str})
    graph = b.build(b.add(agent("ask", model=model), inputs={"message": "inputs.message"}))
    clock = ManualClock()
    events: list[Event] = []

    result = await graph.run(
        {"message": "hi"}, options=RunOptions(clock=clock), listeners=(events.append,)
    )

    assert result.output == "finally"
    retries = [e for e in events if isinstance(e, NodeRetrying)]
    assert [type(e.error) for e in retries] == [RateLimitedError, OverloadedError]
    assert retries[0].delay >= 7.0
    assert clock.sleeps[0] >= 7.0


async def test_memory_keeps_each_thread_and_prompt_messages_stay_separate() -> None:
    memory = ConversationMemory()
    few_shot = (Message.user("2+2?"), Message.assistant("4"))
    model = ScriptedModel(["Hi Ada.", "You are Ada.", "Hello stranger."])
    chat = agent(
        "chat",
        model=model,
        inputs={"thread": str, "text": str},
        thread_input="thread",
        memory=memory,
        prompt_messages=few_shot,
    )

    await chat.run({"thread": "t1", "text": "I am Ada."})
    await chat.run({"thread": "t1", "text": "Who am I?"})
    await chat.run({"thread": "t2", "text": "Hello?"})

    second = model.requests[1].messages
    assert second[:2] == few_shot
    assert [m.text for m in second[2:]] == ["I am Ada.", "Hi Ada.", "Who am I?"]
    assert [m.text for m in model.requests[2].messages] == ["2+2?", "4", "Hello?"]
    assert [m.text for m in memory.history("t1")] == [
        "I am Ada.",
        "Hi Ada.",
        "Who am I?",
        "You are Ada.",
    ]
    assert memory.threads == ("t1", "t2")


async def test_passthrough_drives_a_tool_call_offline() -> None:
    runner = agent("runner", model=PassthroughModel(), tools=[lookup])

    result = await runner.run({"message": '***CALL_TOOL lookup {"order": 42}'})

    assert result.output == "order 42: shipped"
    assert result.tool_rounds == 1
    assert result.usage == Usage()


async def test_playback_replays_a_recorded_conversation_with_tool_calls(tmp_path: object) -> None:
    from pathlib import Path

    directory = Path(str(tmp_path))
    save_history(
        directory / "recorded.yaml",
        [
            Message.user("Where is order 5?"),
            Message.assistant(
                ToolCall("r1", "lookup", {"order": 5}), stop_reason=StopReason.TOOL_USE
            ),
            Message.assistant("It shipped."),
        ],
    )
    catalog = ModelCatalog(PlaitConfig(base_dir=directory))
    replay = agent("replay", model="playback?history=recorded.yaml", models=catalog, tools=[lookup])

    first = await replay.run({"message": "anything"})
    again = await replay.run({"message": "anything"})

    assert first.output == again.output == "It shipped."
    assert first.messages[2].tool_results[0].content == "order 5: shipped"
    exhausted = await agent("x", model=PlaybackModel([Message.user("q")])).run({"message": "m"})
    assert exhausted.output == "MESSAGES EXHAUSTED (list size 1) (0 overage)"


def test_definition_problems_are_reported_together() -> None:
    with pytest.raises(DefinitionError) as caught:
        agent(
            "bad",
            model="anthropic.claude-sonnet-5?reasonin=high",
            instructions="Use {missing} and {",
            prompt="{other}",
            inputs={"text": str},
            tools=[lookup, lookup],
            thread_input="thread",
            max_iterations=-1,
        )

    assert caught.value.codes == [
        "bad-template",
        "unknown-template-input",
        "duplicate-tool",
        "unknown-thread-input",
        "bad-max-iterations",
        "unknown-model",
    ]
    with pytest.raises(DefinitionError, match="did you mean `sonnet`"):
        agent("typo", model="sonet", models=ModelCatalog())
    assert agent("alias", model="configured-alias").kind == "agent"  # may come from config


async def test_with_model_overrides_the_model_for_any_agent() -> None:
    base = agent("ask", model="sonnet", output=str)
    swapped = base.with_model("passthrough")

    assert isinstance(swapped, AgentNode)
    assert base.model == "sonnet"
    assert swapped.model == "passthrough"
    assert (await swapped.run({"message": "echo"})).output == "echo"
    catalog = ModelCatalog(PlaitConfig(default_model="passthrough"))
    assert swapped.with_model(models=catalog).models is catalog


def test_agent_settings_are_part_of_the_content_hash() -> None:
    from plait import GraphBuilder, RetryPolicy
    from plait.nodes import agent

    def graph_of(instructions: str, model: str = "passthrough") -> str:
        built = agent("helper", model=model, inputs={"q": str}, instructions=instructions)
        builder = GraphBuilder("hashing", inputs={"q": str})
        builder.add(built, inputs={"q": "inputs.q"})
        return builder.build("helper").content_hash

    assert graph_of("Be brief.") == graph_of("Be brief.")
    assert graph_of("Be brief.") != graph_of("Be thorough.")
    assert graph_of("Be brief.") != graph_of("Be brief.", model="playback")

    builder = GraphBuilder("options", inputs={"q": str})
    helper = agent("helper", model="passthrough", inputs={"q": str})
    builder.add(helper, retry=RetryPolicy(max_attempts=5), timeout=3, inputs={"q": "inputs.q"})
    compiled = builder.build("helper").nodes["helper"]
    assert compiled.retry == RetryPolicy(max_attempts=5)
    assert compiled.timeout == 3


async def test_parallel_tool_reports_come_in_call_order() -> None:
    @tool
    async def wait(ms: int) -> int:
        """Sleep a while: the first call finishes last."""
        await anyio.sleep(ms / 1000)
        return ms

    calls = Message.assistant(*(ToolCall(f"c{ms}", "wait", {"ms": ms}) for ms in (30, 1, 10)))
    fan = agent("fan", model=ScriptedModel([calls, "done"]), tools=[wait])
    b = GraphBuilder("reports", inputs={"message": str})
    b.add(fan, inputs={"message": "inputs.message"})
    events: list[Event] = []

    await b.build("fan").run({"message": "go"}, listeners=(events.append,))

    reported = [
        (e.kind, e.data["id"])
        for e in events
        if isinstance(e, NodeReported) and e.kind in ("tool_call", "tool_result")
    ]
    ids = ["c30", "c1", "c10"]
    assert reported == [*(("tool_call", i) for i in ids), *(("tool_result", i) for i in ids)]
