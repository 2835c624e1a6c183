"""Models see the environment as the SDKs do: an agent without a key uses the standard
variables, read when the run makes its client; explicit settings win."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plait import GraphBuilder, trace
from plait.graphs import Graph
from plait.nodes import (
    AgentNode,
    ConfigError,
    ModelCatalog,
    NodeFailedError,
    PlaitConfig,
    ProviderConfig,
    ScriptedModel,
    Secret,
    agent,
    parse_model,
)
from plait.testing._cassette import Cassette, with_cassette
from tests.fakes import anthropic_api as anthropic
from tests.fakes import openai_api as openai
from tests.fakes.server import FakeServer, Seen, running_server

pytestmark = pytest.mark.anyio

KEY = "sk-env-0123456789-from-the-environment"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with running_server() as running:
        yield running


def anthropic_key(seen: Seen) -> str:
    """The key an Anthropic request carried (the SDK may send it either way)."""
    return seen.headers.get("x-api-key", "") + seen.headers.get("authorization", "")


def single(node: AgentNode[str]) -> Graph[str]:
    builder = GraphBuilder("ask", inputs={"message": str})
    return builder.build(builder.add(node, inputs={"message": "inputs.message"}))


async def test_an_agent_without_a_key_uses_the_anthropic_variables_read_at_run_time(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = single(agent("ask", model="anthropic.claude-sonnet-4-5"))
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)  # after the graph is defined
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    server.script(anthropic.message(anthropic.text("Hello from the environment.")))

    result = await graph.run({"message": "hi"})

    assert result.output == "Hello from the environment."
    [seen] = server.requests
    assert seen.path == "/v1/messages"
    assert KEY in anthropic_key(seen)
    assert seen.body["model"] == "claude-sonnet-4-5"


async def test_an_agent_without_a_key_uses_the_openai_variables(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    server.script(openai.response(openai.output_message("Hello.")))

    result = await single(agent("ask", model="gpt-4.1")).run({"message": "hi"})

    assert result.output == "Hello."
    [seen] = server.requests
    assert seen.path == "/v1/responses"
    assert seen.headers["authorization"] == f"Bearer {KEY}"


async def test_an_agent_with_its_own_catalog_sees_the_variables_too(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    server.script(anthropic.message(anthropic.text("ok")))
    catalog = ModelCatalog(PlaitConfig(base_dir=tmp_path))  # like examples/triage.py's

    result = await single(agent("ask", model="sonnet", models=catalog)).run({"message": "hi"})

    assert result.output == "ok"
    assert KEY in anthropic_key(server.requests[0])


async def test_explicit_settings_win_over_the_variables(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env-loses")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    explicit = ProviderConfig(api_key=Secret(KEY), base_url=server.url)
    catalog = ModelCatalog(PlaitConfig(providers={"anthropic": explicit}))
    server.script(anthropic.message(anthropic.text("explicit")))

    result = await single(agent("ask", model="sonnet", models=catalog)).run({"message": "hi"})

    assert result.output == "explicit"
    assert KEY in anthropic_key(server.requests[0])
    assert catalog.provider("anthropic") == explicit


async def test_without_a_key_anywhere_the_error_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = await single(agent("ask", model="sonnet")).run({"message": "hi"})

    assert isinstance(result.error, NodeFailedError)
    assert "no API key for `anthropic`" in str(result.error)
    assert "set ANTHROPIC_API_KEY in the environment" in str(result.error)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with pytest.raises(ConfigError, match="no API key"):
        ModelCatalog(environ={}).client("sonnet")  # an explicit environment is the only one
    given = ModelCatalog(environ={"ANTHROPIC_API_KEY": "sk-given-0123456789"})
    assert given.provider("anthropic").api_key == Secret("sk-given-0123456789")


async def test_a_recorded_cassette_scrubs_a_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    helper = agent("ask", model=ScriptedModel([f"the key is {KEY}"]))
    recording = Cassette(tmp_path / "env.json", mode="record")

    await trace(with_cassette(single(helper), recording), {"message": "hi"})

    assert KEY.encode() not in recording.save().read_bytes()


@pytest.mark.parametrize(
    ("written", "suggested"),
    [
        ("sonet", "`sonnet`"),
        ("antropic.claude-sonnet-4-5", "`anthropic.claude-sonnet-4-5`"),
        ("opnai:gpt-4.1", "`openai.gpt-4.1`"),
        ("playbak", "`playback`"),
    ],
)
def test_an_unknown_model_lists_close_matches(written: str, suggested: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_model(written)

    assert str(caught.value).startswith(f"unknown model `{written}`: did you mean {suggested}")
