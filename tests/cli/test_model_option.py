"""``plait run --model``: it retargets every agent, the providers' variables are seen, and
an unknown model stops the command before the run starts.

The real SDKs talk to the fake Anthropic and OpenAI servers of ``tests/fakes``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plait.cli import main
from tests.fakes import anthropic_api as anthropic
from tests.fakes import openai_api as openai
from tests.fakes.server import FakeServer, Reply, Seen, running_server

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-cli-0123456789-from-the-environment"
TICKET = json.dumps({"ticket": "The app crashes on start"})
TYPO_MODULE = "model_typo_graph"


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    sys.modules.pop(TYPO_MODULE, None)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with running_server() as running:
        yield running


def claude_says(text: str) -> Callable[[Seen], Reply]:
    """An Anthropic reply, streamed when the request asks for a stream."""

    def reply(seen: Seen) -> Reply:
        if seen.body.get("stream"):
            return anthropic.stream(anthropic.text(text))
        return anthropic.message(anthropic.text(text))

    return reply


def gpt_says(text: str) -> Callable[[Seen], Reply]:
    """An OpenAI Responses reply, streamed when the request asks for a stream."""

    def reply(seen: Seen) -> Reply:
        if seen.body.get("stream"):
            return openai.response_stream(openai.output_message(text))
        return openai.response(openai.output_message(text))

    return reply


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["run", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_model_retargets_the_triage_agents_to_anthropic_with_the_environment_key(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    server.script(claude_says('{"value": "tech"}'), claude_says("Reinstall the app."))

    code, out, err = run(
        capsys, "examples.triage:graph", "--model", "anthropic.claude-sonnet-4-5", "-i", TICKET
    )

    assert (code, out) == (0, "Reinstall the app.\n"), err
    router, tech = server.requests
    for seen in (router, tech):
        assert seen.path == "/v1/messages"
        assert KEY in seen.headers.get("x-api-key", "") + seen.headers.get("authorization", "")
        assert seen.body["model"] == "claude-sonnet-4-5"  # not the agents' own playback
    assert router.body["system"] == "Route the support ticket to the team that can solve it."
    assert tech.body["system"] == "You are the technical support team."
    assert KEY not in out + err


def test_model_retargets_the_triage_agents_to_openai_with_the_environment_key(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    server.script(gpt_says('{"value": "tech"}'), gpt_says("Reinstall the app."))

    code, out, err = run(capsys, "examples.triage:graph", "--model", "gpt-4.1", "-i", TICKET)

    assert (code, out) == (0, "Reinstall the app.\n"), err
    assert [seen.path for seen in server.requests] == ["/v1/responses", "/v1/responses"]
    assert {seen.headers["authorization"] for seen in server.requests} == {f"Bearer {KEY}"}
    assert {seen.body["model"] for seen in server.requests} == {"gpt-4.1"}


def test_a_key_in_plait_yaml_wins_over_the_environment(
    server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    (tmp_path / "plait.yaml").write_text(
        "aliases: {house: anthropic.claude-haiku-4-5}\nanthropic: {api_key: sk-yaml-0123456789}\n"
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    server.script(claude_says('{"value": "tech"}'), claude_says("ok"))

    code, out, err = run(capsys, "examples.triage:graph", "--model", "house", "-i", TICKET)

    assert (code, out) == (0, "ok\n"), err
    seen = server.requests[0]
    sent = seen.headers.get("x-api-key", "") + seen.headers.get("authorization", "")
    assert "sk-yaml-0123456789" in sent
    assert KEY not in sent
    assert seen.body["model"] == "claude-haiku-4-5"


def test_model_replaces_the_agents_own_playback_files_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "mine.yaml").write_text(
        "messages:\n"
        "  - {role: user, content: anything}\n"
        '  - {role: assistant, content: \'{"value": "tech"}\'}\n'
    )

    code, out, err = run(
        capsys, "examples.triage:graph", "--model", "playback?history=mine.yaml", "-i", TICKET
    )

    # Both agents replay this directory's file, not examples/playback/'s recordings.
    assert (code, out) == (0, '{"value": "tech"}\n'), err


def test_an_unknown_model_option_stops_before_the_run_with_close_matches(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)

    code, out, err = run(
        capsys, "examples.triage:graph", "--model", "antropic.claude-sonnet-4-5", "-i", TICKET
    )

    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(
        "plait: error: --model antropic.claude-sonnet-4-5: unknown model "
        "`antropic.claude-sonnet-4-5`: did you mean `anthropic.claude-sonnet-4-5`?"
    )
    assert server.requests == []
    assert not Path(".plait").exists()  # no run was recorded


def test_an_agent_naming_an_unknown_model_stops_before_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / f"{TYPO_MODULE}.py").write_text(
        "from plait import GraphBuilder\n"
        "from plait.nodes import agent\n"
        "builder = GraphBuilder('typo', inputs={'message': str})\n"
        "ask = builder.add(agent('ask', model='sonet'), inputs={'message': 'inputs.message'})\n"
        "graph = builder.build(ask)\n"
    )

    code, out, err = run(capsys, f"{TYPO_MODULE}:graph", "-i", '{"message": "hi"}')

    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(
        "plait: error: agent `ask`: unknown model `sonet`: did you mean `sonnet`?"
    )
    assert not Path(".plait").exists()

    code, out, err = run(
        capsys, f"{TYPO_MODULE}:graph", "-i", '{"message": "hi"}', "--model", "passthrough"
    )
    assert (code, out) == (0, "hi\n"), err  # --model replaces the unknown one
