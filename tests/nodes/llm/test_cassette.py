"""Cassettes: record a run's LLM and tool calls, replay them offline, keyed by node path."""

from __future__ import annotations

import dataclasses
import json
import socket
from pathlib import Path

import pytest

from examples.triage import graph as triage_graph
from plait import GraphBuilder, ManualClock, Redaction, RunOptions, trace
from plait.engine import diff
from plait.graphs import Graph, with_nodes
from plait.nodes import (
    AgentNode,
    Message,
    ModelCatalog,
    ModelRequest,
    Node,
    PlaitConfig,
    ProviderConfig,
    RateLimitedError,
    ScriptedModel,
    Secret,
    ToolCall,
    agent,
    tool,
)
from plait.testing._cassette import Cassette, CassetteError, CassetteMismatchError, with_cassette

pytestmark = pytest.mark.anyio

TICKET = {"ticket": "I was charged twice for INV-1042"}
SECOND = {"ticket": "The app crashes on start"}
KEY = "sk-ant-cassette-0123456789-do-not-leak"
OPTIONS = RunOptions(clock=ManualClock(), seed=0)


def _closed_port() -> int:
    with socket.socket() as probe:  # bound, then closed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _on_a_provider_without_key(graph: Graph[object]) -> Graph[object]:
    """Every agent on a real provider whose base URL is a closed port, with no API key."""
    url = f"http://127.0.0.1:{_closed_port()}"
    catalog = ModelCatalog(PlaitConfig(providers={"anthropic": ProviderConfig(base_url=url)}))

    def change(node: Node[object]) -> Node[object]:
        if isinstance(node, AgentNode):
            return node.with_model("anthropic.claude-sonnet-4-5", models=catalog)
        return node

    return with_nodes(graph, change)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network unreachable (cassette test)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


async def test_record_then_replay_gives_an_equal_trace_offline_and_without_a_key(
    tmp_path: Path, no_network: None
) -> None:
    path = tmp_path / "triage.cassette.json"
    _, plain = await trace(triage_graph, TICKET, options=OPTIONS)
    recording = Cassette(path, mode="record")
    _, recorded = await trace(with_cassette(triage_graph, recording), TICKET, options=OPTIONS)
    recording.save()
    assert not diff(plain, recorded)  # recording changes nothing the trace shows

    offline = _on_a_provider_without_key(triage_graph)
    failed, without_tape = await trace(offline, TICKET, options=OPTIONS)
    assert failed.status.value == "failed"  # on its own, the provider graph cannot run
    assert without_tape.node("triage").errors[0].type == "ConfigError"

    replaying = Cassette(path)
    result, replayed = await trace(with_cassette(offline, replaying), TICKET, options=OPTIONS)
    assert result.status.value == "succeeded", result.error
    assert diff(recorded, replayed).text == ""
    assert replayed.to_json() == recorded.to_json()
    assert replaying.mismatches == []


async def test_the_file_is_canonical_and_keyed_by_node_path_and_call(tmp_path: Path) -> None:
    first = Cassette(tmp_path / "a.json", mode="record")
    second = Cassette(tmp_path / "b.json", mode="record")
    for cassette in (first, second):
        await trace(with_cassette(triage_graph, cassette), TICKET, options=OPTIONS)
        cassette.save()
    text = first.path.read_text(encoding="utf-8")
    assert text == second.path.read_text(encoding="utf-8")
    data = json.loads(text)
    nodes = data["runs"][0]["nodes"]
    assert data["version"] == 1
    assert sorted(nodes) == ["billing", "triage"]
    billing = nodes["billing"]
    assert [call["call"] for call in billing] == [1, 2]
    assert billing[0]["tools"] == [
        {
            "arguments": {"invoice": "INV-1042"},
            "id": "call_1",
            "name": "lookup_invoice",
            "result": {
                "content": '{"invoice": "INV-1042", "amount": 49.0, "charges": 2}',
                "is_error": False,
            },
        }
    ]


async def test_a_changed_prompt_fails_naming_the_node_the_call_and_the_difference(
    tmp_path: Path,
) -> None:
    path = tmp_path / "triage.json"
    recording = Cassette(path, mode="record")
    await trace(with_cassette(triage_graph, recording), TICKET, options=OPTIONS)
    recording.save()

    def reword(node: Node[object]) -> Node[object]:
        if isinstance(node, AgentNode) and node.id == "billing":
            return dataclasses.replace(node, instructions="You are billing. Be brief.")
        return node

    replaying = Cassette(path)
    changed = with_cassette(with_nodes(triage_graph, reword), replaying)
    result, found = await trace(changed, TICKET, options=OPTIONS)

    assert result.status.value == "failed"
    [mismatch] = replaying.mismatches
    assert (mismatch.node, mismatch.call) == ("billing", 1)
    assert mismatch.differences == (
        '$.system: "You are the billing team. Check invoices before answering." -> '
        '"You are billing. Be brief."',
    )
    message = str(mismatch)
    assert message.startswith("cassette mismatch at node `billing`, call 1: the model request")
    assert "CassetteMismatchError" in found.node("billing").errors[0].type


async def test_a_changed_tool_call_and_a_missing_call_are_named(tmp_path: Path) -> None:
    @tool
    def double(x: int) -> int:
        """Double x."""
        return 2 * x

    def build(argument: int, replies: int) -> Graph[object]:
        calls = [Message.assistant(ToolCall("c1", "double", {"x": argument}))]
        script = ScriptedModel([*calls, "done", "again"][: replies + 1])
        b = GraphBuilder("tools", inputs={"q": str})
        helper = agent("helper", model=script, inputs={"q": str}, tools=[double])
        return b.build(b.add(helper, inputs={"q": "inputs.q"}))

    path = tmp_path / "tools.json"
    recording = Cassette(path, mode="record")
    await trace(with_cassette(build(2, 1), recording), {"q": "go"}, options=OPTIONS)
    recording.save()

    edited = json.loads(path.read_text(encoding="utf-8"))
    edited["runs"][0]["nodes"]["helper"][0]["tools"][0]["arguments"] = {"x": 3}
    path.write_text(json.dumps(edited), encoding="utf-8")
    replaying = Cassette(path)
    await trace(with_cassette(build(2, 1), replaying), {"q": "go"}, options=OPTIONS)
    [mismatch] = replaying.mismatches
    assert (mismatch.node, mismatch.call) == ("helper", 1)
    assert mismatch.problem == "tool call `c1` (`double`) differs"
    assert mismatch.differences == ("$.arguments.x: 3 -> 2",)

    del edited["runs"][0]["nodes"]["helper"][1]
    edited["runs"][0]["nodes"]["helper"][0]["tools"][0]["arguments"] = {"x": 2}
    path.write_text(json.dumps(edited), encoding="utf-8")
    short = Cassette(path)
    await trace(with_cassette(build(2, 1), short), {"q": "go"}, options=OPTIONS)
    assert [(m.node, m.call, m.problem) for m in short.mismatches] == [
        ("helper", 2, "the cassette recorded 1 model call(s) at this node")
    ]


async def test_secrets_and_configured_fields_never_reach_the_file(tmp_path: Path) -> None:
    @tool
    def notify(name: str, customer_email: str) -> str:
        """Tell a customer."""
        return f"mailed {name} at {customer_email}; key {KEY}"

    catalog = ModelCatalog(
        PlaitConfig(providers={"anthropic": ProviderConfig(api_key=Secret(KEY))})
    )
    arguments = {"name": "ada", "customer_email": "ada@example.com"}
    script = ScriptedModel([Message.assistant(ToolCall("c1", "notify", arguments)), "done"])
    helper = agent("helper", model=script, models=catalog, inputs={"q": str}, tools=[notify])
    b = GraphBuilder("secrets", inputs={"q": str})
    graph = b.build(b.add(helper, inputs={"q": "inputs.q"}))
    redaction = Redaction().extended(keys={"customer_email"}, values={KEY})
    path = tmp_path / "secret.cassette.json"

    recording = Cassette(path, mode="record", redaction=redaction)
    _, recorded = await trace(with_cassette(graph, recording), {"q": "hi"}, redaction=redaction)
    recording.save()

    raw = path.read_bytes()
    assert KEY.encode() not in raw
    assert b"ada@example.com" not in raw
    assert b'"customer_email": "***"' in raw
    assert b'"content": "mailed ada at ***; key ***"' in raw

    replaying = Cassette(path, redaction=redaction)
    _, replayed = await trace(with_cassette(graph, replaying), {"q": "hi"}, redaction=redaction)
    assert replaying.mismatches == []
    assert diff(recorded, replayed).text == ""


async def test_the_catalog_key_is_scrubbed_without_being_configured(tmp_path: Path) -> None:
    catalog = ModelCatalog(PlaitConfig(providers={"openai": ProviderConfig(api_key=Secret(KEY))}))
    script = ScriptedModel([f"the key is {KEY}"])
    helper = agent("helper", model=script, models=catalog, inputs={"q": str})
    recording = Cassette(tmp_path / "k.json", mode="record")
    await trace(with_cassette(_single(helper), recording), {"q": "hi"})
    assert KEY.encode() not in recording.save().read_bytes()


async def test_retries_replay_with_the_recorded_provider_errors(tmp_path: Path) -> None:
    def build() -> Graph[object]:
        script = ScriptedModel(
            [RateLimitedError("slow down", provider="anthropic", status=429, retry_after=2), "ok"]
        )
        b = GraphBuilder("retry", inputs={"q": str})
        return b.build(
            b.add(agent("helper", model=script, inputs={"q": str}), inputs={"q": "inputs.q"})
        )

    path = tmp_path / "retry.json"
    recording = Cassette(path, mode="record")
    result, recorded = await trace(with_cassette(build(), recording), {"q": "x"}, options=OPTIONS)
    recording.save()
    assert result.output == "ok"
    assert recorded.node("helper").attempts == 2

    replaying = Cassette(path)
    again, replayed = await trace(with_cassette(build(), replaying), {"q": "x"}, options=OPTIONS)
    assert again.output == "ok"
    assert diff(recorded, replayed).text == ""
    assert replayed.node("helper").errors[0].type == "RateLimitedError"


async def test_map_items_are_keyed_by_their_own_paths_whatever_the_interleaving(
    tmp_path: Path,
) -> None:
    def answer(request: ModelRequest) -> str:
        return f"seen {request.messages[-1].text}"

    async def build_and_run(cassette: Cassette) -> str:
        body = agent("echo", model=ScriptedModel([answer] * 3), inputs={"word": str})
        b = GraphBuilder("words", inputs={"words": list[str]})
        graph = b.build(b.map(body, id="each", over="word", inputs={"word": "inputs.words"}))
        _, found = await trace(with_cassette(graph, cassette), {"words": ["a", "b", "c"]})
        return found.to_json()

    path = tmp_path / "map.json"
    recording = Cassette(path, mode="record")
    recorded = await build_and_run(recording)
    recording.save()
    assert sorted(recording.runs[0]) == ["each[0]/echo", "each[1]/echo", "each[2]/echo"]
    assert await build_and_run(Cassette(path)) == recorded


async def test_runs_replay_in_order_and_an_extra_run_is_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    recording = Cassette(path, mode="record")
    wrapped = with_cassette(triage_graph, recording)
    await trace(wrapped, TICKET)
    await trace(wrapped, SECOND)
    recording.save()
    assert len(recording.runs) == 2

    replaying = Cassette(path)
    replayed = with_cassette(triage_graph, replaying)
    assert (await trace(replayed, TICKET))[0].status.value == "succeeded"
    assert (await trace(replayed, SECOND))[0].status.value == "succeeded"
    third, _ = await trace(replayed, TICKET)
    assert third.status.value == "failed"
    assert replaying.mismatches[-1].problem == "the cassette holds 2 run(s); this is run 3"


async def test_an_agent_run_without_a_context_is_keyed_by_its_id(tmp_path: Path) -> None:
    path = tmp_path / "direct.json"
    helper = agent("helper", model=ScriptedModel(["hello"]), inputs={"q": str})
    recording = Cassette(path, mode="record")
    [taped] = with_cassette(_single(helper), recording).nodes.values()
    assert isinstance(taped, AgentNode)
    assert (await taped.run({"q": "hi"})).output == "hello"
    recording.save()
    assert list(recording.runs[0]) == ["helper"]
    [replayed] = with_cassette(_single(helper), Cassette(path)).nodes.values()
    assert isinstance(replayed, AgentNode)
    assert (await replayed.run({"q": "hi"})).model == "scripted"


def _single(node: AgentNode[object]) -> Graph[object]:
    b = GraphBuilder("one", inputs={"q": str})
    return b.build(b.add(node, inputs={"q": "inputs.q"}))


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match=r"no cassette at .*record it first"):
        Cassette(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"version": 9, "runs": []}', encoding="utf-8")
    with pytest.raises(CassetteError, match=r"\$\.version: expected 1, got 9"):
        Cassette(tmp_path / "bad.json")
    (tmp_path / "calls.json").write_text(
        '{"version": 1, "runs": [{"nodes": {"a": [{"request": {}}]}}]}', encoding="utf-8"
    )
    with pytest.raises(CassetteError, match="a call needs a request and a response"):
        Cassette(tmp_path / "calls.json")
    with pytest.raises(ValueError, match="expected record or replay"):
        Cassette(tmp_path / "x.json", mode="tape")  # type: ignore[arg-type]
    assert issubclass(CassetteMismatchError, Exception)


async def test_yaml_cassettes_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "triage.cassette.yaml"
    recording = Cassette(path, mode="record")
    _, recorded = await trace(with_cassette(triage_graph, recording), TICKET, options=OPTIONS)
    recording.save()
    assert path.read_text(encoding="utf-8").startswith("version: 1\n")
    _, replayed = await trace(with_cassette(triage_graph, Cassette(path)), TICKET, options=OPTIONS)
    assert replayed.to_json() == recorded.to_json()
